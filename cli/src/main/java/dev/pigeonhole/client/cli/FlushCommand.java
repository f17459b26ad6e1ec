package dev.pigeonhole.client.cli;

import dev.pigeonhole.client.Outgoing;
import dev.pigeonhole.client.PigeonholeClient;
import dev.pigeonhole.client.SendState;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Sends what the outbox holds from earlier runs (messages and shadow updates) and waits until it is empty. */
@Command(name = "flush", mixinStandardHelpOptions = true,
        description = {"Send the queued messages and shadow updates of earlier runs.",
                "Messages received meanwhile stay in the local store (see history, tail, chat)."},
        footer = {"", "Exit codes: 0 outbox empty, 2 some messages rejected, 3 some still queued (said on stderr), 4 refused by the"
                + " server (e.g. 4100 unauthorized, 4103 displaced by another client of this device: said on stderr;"
                + " the rest stays queued), 5 the data directory is used by another pigeonhole-cli. (A shadow"
                + " update of an earlier run that the server rejects is dropped; see shadow get.)"})
final class FlushCommand implements Callable<Integer> {
    /** Without --wait: the longest wait while the server is reachable. */
    static final Duration MAX_WAIT = Duration.ofSeconds(60);

    @Mixin
    ClientMixin client;

    @Option(names = "--wait", description = "How long to wait, ISO-8601 (e.g. PT10M). Default: up to 60 s while the"
            + " server is reachable; give up after 3 s without a connection to it.")
    Duration wait;

    @Override
    public Integer call() throws Exception {
        PrintSettled printer = new PrintSettled(client);
        try (PigeonholeClient c = client.start(printer)) {
            System.out.println("queued in outbox: " + c.pending().size()
                    + (c.pendingShadowUpdates() > 0 ? " (and " + c.pendingShadowUpdates() + " shadow updates)" : ""));
            List<Outgoing> messages = c.pending();
            Waiting.Outcome outcome = Waiting.await(c, () -> messages.stream().noneMatch(m -> m.state() == SendState.QUEUED)
                    && c.pendingShadowUpdates() == 0, printer.refusal, wait, MAX_WAIT);
            int exit;
            if (messages.stream().anyMatch(m -> m.state() == SendState.REJECTED)) {
                exit = PigeonholeCli.REJECTED;
            } else if (c.pending().isEmpty() && c.pendingShadowUpdates() == 0) {
                exit = PigeonholeCli.OK;
            } else {
                Waiting.stillQueued(client, outcome, c.pending().size() + " message(s) and " + c.pendingShadowUpdates()
                        + " shadow update(s)", wait != null ? wait : MAX_WAIT);
                exit = outcome == Waiting.Outcome.REFUSED ? PigeonholeCli.REFUSED : PigeonholeCli.STILL_QUEUED;
            }
            Waiting.unshownHint(c);
            return exit;
        }
    }
}
