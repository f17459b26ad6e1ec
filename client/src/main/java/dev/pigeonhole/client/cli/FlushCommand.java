package dev.pigeonhole.client.cli;

import dev.pigeonhole.client.PigeonholeClient;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Sends what the outbox holds from earlier runs (messages and shadow updates) and waits until it is empty. */
@Command(name = "flush", mixinStandardHelpOptions = true,
        description = "Send the queued messages and shadow updates of earlier runs.",
        footer = "Exit codes: 0 outbox empty, 2 some messages rejected, 3 some still queued. (A shadow update of an"
                + " earlier run that the server rejects is dropped; see shadow get.)")
final class FlushCommand implements Callable<Integer> {
    @Mixin
    ClientMixin client;

    @Option(names = "--wait", defaultValue = "PT60S", description = "How long to wait (default ${DEFAULT-VALUE})")
    Duration wait;

    @Override
    public Integer call() throws Exception {
        try (PigeonholeClient c = client.start(new PrintSettled())) {
            System.out.println("queued in outbox: " + c.pending().size()
                    + (c.pendingShadowUpdates() > 0 ? " (and " + c.pendingShadowUpdates() + " shadow updates)" : ""));
            long deadline = System.nanoTime() + wait.toNanos();
            int messages = Waiting.settle(c, c.pending(), wait);
            while (c.pendingShadowUpdates() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            if (messages == PigeonholeCli.OK && c.pendingShadowUpdates() > 0) {
                return PigeonholeCli.STILL_QUEUED;
            }
            return messages;
        }
    }
}
