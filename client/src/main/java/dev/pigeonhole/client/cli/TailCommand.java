package dev.pigeonhole.client.cli;

import dev.pigeonhole.client.IncomingMessage;
import dev.pigeonhole.client.Listener;
import dev.pigeonhole.client.PigeonholeClient;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Prints messages as JSON lines: first those this device received that no {@code tail} or {@code chat} showed yet
 * (also what a {@code send}, {@code flush} or {@code history} received), then what arrives.
 */
@Command(name = "tail", mixinStandardHelpOptions = true, description = {"Print incoming messages as JSON lines.",
        "Starts with every message this device received that no tail or chat showed yet (also what send, flush or"
                + " history received)."})
final class TailCommand implements Callable<Integer> {
    @Mixin
    ClientMixin client;

    @Option(names = "--count", description = "Exit after this many messages (default: run until killed)")
    Integer count;

    @Override
    public Integer call() throws Exception {
        CountDownLatch done = new CountDownLatch(1);
        AtomicInteger printed = new AtomicInteger();
        if (count != null && count < 1) {
            return PigeonholeCli.OK;
        }
        Feed feed = new Feed(e -> {
            String json = Entries.tailJson(e);
            if (json != null) {
                System.out.println(json);
                System.out.flush();
                if (count != null && printed.incrementAndGet() >= count) {
                    done.countDown();
                    return false;
                }
            }
            return true;
        });
        try (PigeonholeClient c = client.start(new Listener() {
            @Override
            public void onMessage(IncomingMessage m) {
                feed.show();
            }
        })) {
            feed.attach(c);
            done.await();
            return PigeonholeCli.OK;
        }
    }
}
