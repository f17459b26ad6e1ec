package dev.pigeonhole.client.cli;

import dev.pigeonhole.client.ConnectionState;
import dev.pigeonhole.client.InboxEntry;
import dev.pigeonhole.client.Listener;
import dev.pigeonhole.client.Outgoing;
import dev.pigeonhole.client.PigeonholeClient;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Prints the conversation kept in this device's local store — everything any command received, shown or not — and
 * the messages still queued. Reaches the server first (briefly) for what waits there; offline it prints what is
 * stored.
 */
@Command(name = "history", mixinStandardHelpOptions = true,
        description = {"Print the conversation stored on this device and what is still queued (works offline).",
                "Lines: '[seq] user: text' received, '[seq] you -> user: text' sent, '(id delivered to …)' receipts,"
                        + " 'queued -> user: text' not sent yet. Does not change what tail and chat show as new."},
        footer = {"", "Exit codes: 0 printed (also offline: a note on stderr says the server was not reached), 4 printed what"
                + " is stored, but the server refused the connection (e.g. 4103 displaced: said on stderr), 5 the data"
                + " directory is used by another pigeonhole-cli (nothing printed)."})
final class HistoryCommand implements Callable<Integer> {
    @Mixin
    ClientMixin client;

    @Option(names = "--limit", defaultValue = "50", description = "The newest N stored entries (default ${DEFAULT-VALUE})")
    int limit;

    @Option(names = "--wait", defaultValue = "PT3S",
            description = "How long to give the server to send what waits for this device first (default ${DEFAULT-VALUE};"
                    + " PT0S: print only what is stored)")
    Duration wait;

    @Override
    public Integer call() throws Exception {
        if (limit < 1) {
            System.err.println("--limit must be at least 1");
            return PigeonholeCli.REJECTED;
        }
        CountDownLatch settled = new CountDownLatch(1);
        AtomicBoolean caughtUp = new AtomicBoolean();
        Refusal refusal = new Refusal();
        try (PigeonholeClient c = client.start(new Listener() {
            private boolean tried;

            @Override
            public void onCaughtUp(long seq) {
                caughtUp.set(true);
                settled.countDown();
            }

            @Override
            public void onConnectionState(ConnectionState state) {
                if (state == ConnectionState.CONNECTING) {
                    tried = true;
                } else if (state == ConnectionState.OFFLINE && tried) {
                    settled.countDown(); // the first attempt failed: print what is stored
                }
            }

            @Override
            public void onRefused(int closeCode, String reason) {
                if (refusal.refused(closeCode)) {
                    System.err.println("* " + Refusal.describe(closeCode, reason, client));
                    System.err.flush();
                }
                settled.countDown();
            }
        })) {
            if (!wait.isZero() && !wait.isNegative()) {
                settled.await(wait.toMillis(), TimeUnit.MILLISECONDS);
            }
            if (!caughtUp.get()) {
                System.err.println("* " + (c.state() == ConnectionState.ONLINE ? "still receiving from the server"
                        : "server not reached (" + client.server + ")") + ": showing what is stored on this device");
            }
            for (InboxEntry e : c.history(limit)) {
                Entries.lines(e, client.device, true).forEach(System.out::println);
            }
            for (Outgoing o : c.pending()) {
                System.out.println("  queued -> " + o.to() + ": " + Entries.text(o.body()) + " (not sent yet)");
            }
            System.out.flush();
            return refusal.happened() ? PigeonholeCli.REFUSED : PigeonholeCli.OK;
        }
    }
}
