package dev.pigeonhole.client.cli;

import dev.pigeonhole.client.ConnectionState;
import dev.pigeonhole.client.Outgoing;
import dev.pigeonhole.client.PigeonholeClient;
import dev.pigeonhole.client.SendState;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Waits for outgoing messages to settle and turns the outcome into an exit code. Without {@code --wait} a command
 * waits as long as the server is reachable (up to a maximum) and gives up once it has been unreachable for
 * {@link #UNREACHABLE_AFTER}; with {@code --wait} it waits exactly that long at most.
 */
final class Waiting {
    /** Without {@code --wait}: give up once the server has not been reachable for this long. */
    static final Duration UNREACHABLE_AFTER = Duration.ofSeconds(3);

    enum Outcome { DONE, TIMED_OUT, UNREACHABLE, REFUSED }

    private Waiting() {}

    /**
     * Waits until {@code done}: at most {@code wait}, or, when {@code wait} is null, at most {@code max} and no longer
     * than {@link #UNREACHABLE_AFTER} without an inbox connection; not at all once the server refused the connection.
     */
    static Outcome await(PigeonholeClient client, BooleanSupplier done, Refusal refusal, Duration wait, Duration max)
            throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + (wait != null ? wait : max).toNanos();
        long lastOnline = start;
        while (!done.getAsBoolean()) {
            if (refusal.happened()) {
                refusal.awaitSaid(Duration.ofSeconds(1));
                return Outcome.REFUSED;
            }
            long now = System.nanoTime();
            boolean online = client.state() == ConnectionState.ONLINE;
            if (online) {
                lastOnline = now;
            } else if (wait == null && now - lastOnline >= UNREACHABLE_AFTER.toNanos()) {
                return Outcome.UNREACHABLE;
            }
            if (now - deadline >= 0) {
                return online ? Outcome.TIMED_OUT : Outcome.UNREACHABLE;
            }
            Thread.sleep(20);
        }
        return Outcome.DONE;
    }

    /**
     * Waits for {@code messages} (see {@link #await}) and returns the exit code: 0 the outbox is empty, 2 one of them
     * was rejected, 3 something is still queued — then says why on stderr (server unreachable, or no answer in time),
     * 4 the server refused the connection (said on stderr by {@link PrintSettled}) and something is still queued.
     */
    static int settle(ClientMixin cli, PigeonholeClient client, List<Outgoing> messages, Refusal refusal, Duration wait,
                      Duration max) throws InterruptedException {
        Outcome outcome = await(client, () -> messages.stream().noneMatch(m -> m.state() == SendState.QUEUED), refusal,
                wait, max);
        if (messages.stream().anyMatch(m -> m.state() == SendState.REJECTED)) {
            return PigeonholeCli.REJECTED;
        }
        int queued = client.pending().size();
        if (queued == 0) {
            return PigeonholeCli.OK;
        }
        stillQueued(cli, outcome, queued + " message(s)", wait != null ? wait : max);
        return outcome == Outcome.REFUSED ? PigeonholeCli.REFUSED : PigeonholeCli.STILL_QUEUED;
    }

    /** Explains on stderr why {@code what} stays in the outbox. */
    static void stillQueued(ClientMixin cli, Outcome outcome, String what, Duration waited) {
        String why = outcome == Outcome.TIMED_OUT ? "no answer from the server within " + waited
                : outcome == Outcome.REFUSED ? "refused by the server (see above)"
                : "server unreachable (" + cli.server + ")";
        System.err.println("* " + why + ": " + what + " stay queued in " + cli.dataDir()
                + "; the next send, flush or chat with this data directory sends them");
        System.err.flush();
    }

    /** Tells on stderr how many messages from others this run received that no tail or chat showed yet. */
    static void unshownHint(PigeonholeClient client) {
        long unshown = Entries.fromOthers(client.unshown(Feed.CONSUMER, 10_000));
        if (unshown > 0) {
            System.err.println("* " + unshown + " received message(s) not shown yet: see history, tail or chat");
            System.err.flush();
        }
    }
}
