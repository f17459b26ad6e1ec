package dev.pigeonhole.client.cli;

import dev.pigeonhole.client.PigeonholeClient;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Sends what the outbox holds from earlier runs and waits until it is empty. */
@Command(name = "flush", mixinStandardHelpOptions = true, description = "Send the queued messages of earlier runs.",
        footer = "Exit codes: 0 outbox empty, 2 some rejected, 3 some still queued.")
final class FlushCommand implements Callable<Integer> {
    @Mixin
    ClientMixin client;

    @Option(names = "--wait", defaultValue = "PT60S", description = "How long to wait (default ${DEFAULT-VALUE})")
    Duration wait;

    @Override
    public Integer call() throws Exception {
        try (PigeonholeClient c = client.start(new PrintSettled())) {
            System.out.println("queued in outbox: " + c.pending().size());
            return Waiting.settle(c, c.pending(), wait);
        }
    }
}
