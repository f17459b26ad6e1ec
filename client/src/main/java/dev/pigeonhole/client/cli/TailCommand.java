package dev.pigeonhole.client.cli;

import dev.pigeonhole.client.IncomingMessage;
import dev.pigeonhole.client.Listener;
import dev.pigeonhole.client.PigeonholeClient;
import dev.pigeonhole.protocol.Json;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Prints incoming messages as JSON lines, from where this device stopped last time. */
@Command(name = "tail", mixinStandardHelpOptions = true, description = "Print incoming messages as JSON lines.")
final class TailCommand implements Callable<Integer> {
    @Mixin
    ClientMixin client;

    @Option(names = "--count", description = "Exit after this many messages (default: run until killed)")
    Integer count;

    @Override
    public Integer call() throws Exception {
        CountDownLatch done = new CountDownLatch(count == null ? 1 : count);
        try (PigeonholeClient c = client.start(new Listener() {
            @Override
            public void onMessage(IncomingMessage m) {
                System.out.println(Json.write(m));
                System.out.flush();
                if (count != null) {
                    done.countDown();
                }
            }
        })) {
            done.await();
            return PigeonholeCli.OK;
        }
    }
}
