package dev.pigeonhole.client.cli;

import dev.pigeonhole.client.ConnectionState;
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
 * (also what a {@code send}, {@code flush} or {@code history} received), then what arrives. Stops when the server
 * refuses the connection for good (e.g. 4103: another client of this device took its inbox).
 */
@Command(name = "tail", mixinStandardHelpOptions = true, description = {"Print incoming messages as JSON lines.",
        "Starts with every message this device received that no tail or chat showed yet (also what send, flush or"
                + " history received). The connection state goes to stderr ('* offline (retrying)', '* online'), and so"
                + " do lost entries ('* messages 2..4 are gone from the server (expired)')."},
        footer = {"", "Exit codes: 0 after --count messages (without --count it runs until stopped, retrying while the"
                + " server is unreachable), 4 refused by the server (said on stderr, e.g. '* displaced: another client of"
                + " alice/cli took this device's inbox (4103); stopping'; also 4100 unauthorized, 4104 device removed, 4105"
                + " too many devices), 5 the data directory is used by another pigeonhole-cli."})
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
            if (json == null && "gap".equals(e.kind())) {
                // a loss is reported, as chat and history do (not on stdout: that stays one message per line)
                Entries.lines(e, client.device, false).forEach(TailCommand::err);
            }
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
        Refusal refusal = new Refusal();
        try (ConnectionNotices notices = new ConnectionNotices(TailCommand::err);
             PigeonholeClient c = client.start(new Listener() {
                 @Override
                 public void onMessage(IncomingMessage m) {
                     feed.show();
                 }

                 @Override
                 public void onGap(long from, long to, String reason) {
                     feed.show();
                 }

                 @Override
                 public void onConnectionState(ConnectionState state) {
                     notices.changed(state);
                 }

                 @Override
                 public void onRefused(int closeCode, String reason) {
                     if (refusal.refused(closeCode)) {
                         notices.stop();
                         err(Refusal.stopping(closeCode, reason, client));
                         done.countDown();
                     }
                 }
             })) {
            feed.attach(c);
            done.await();
            return refusal.happened() && (count == null || printed.get() < count) ? PigeonholeCli.REFUSED : PigeonholeCli.OK;
        }
    }

    private static synchronized void err(String line) {
        System.err.println(line);
        System.err.flush();
    }
}
