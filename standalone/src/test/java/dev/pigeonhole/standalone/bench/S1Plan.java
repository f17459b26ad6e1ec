package dev.pigeonhole.standalone.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Who sends what in the store-then-drain scenario (S1), and the bookkeeping of one repetition. Message k of
 * recipient r comes from sender (r + k) % senders; every sender sends its messages in the order (k, r), closed-loop
 * with at most {@code inFlight} unanswered at a time.
 */
final class S1Plan {
    final int recipients;
    final int perRecipient;
    final int senders;
    final int inFlight;
    final int total;
    private final int[][] targets;

    S1Plan(int recipients, int perRecipient, int senders, int inFlight) {
        this.recipients = recipients;
        this.perRecipient = perRecipient;
        this.senders = senders;
        this.inFlight = inFlight;
        this.total = recipients * perRecipient;
        List<List<Integer>> bySender = new ArrayList<>();
        for (int s = 0; s < senders; s++) {
            bySender.add(new ArrayList<>());
        }
        for (int k = 0; k < perRecipient; k++) {
            for (int r = 0; r < recipients; r++) {
                bySender.get((r + k) % senders).add(r);
            }
        }
        targets = bySender.stream().map(l -> l.stream().mapToInt(Integer::intValue).toArray()).toArray(int[][]::new);
    }

    /** Sends every message (round robin over senders with room); returns when all are handed to the transport. */
    void sendAll(Ledger ledger, LoadLoop.Transport transport) {
        int[] next = new int[senders];
        int remaining = total;
        while (remaining > 0) {
            boolean progressed = false;
            for (int s = 0; s < senders; s++) {
                if (next[s] < targets[s].length && ledger.inFlight(s) < inFlight) {
                    int r = targets[s][next[s]++];
                    long t = System.nanoTime();
                    transport.send(s, ledger.sent(s, r, t), r, t);
                    remaining--;
                    progressed = true;
                }
            }
            if (!progressed) {
                LockSupport.parkNanos(50_000);
            }
        }
    }

    /** Waits until every send was answered; false on timeout. */
    static boolean awaitAnswers(Ledger ledger, long total, long timeoutNanos) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutNanos;
        while (ledger.answered.get() < total) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(5);
        }
        return true;
    }

    /** Drain-side progress: distinct messages per recipient, and when the last one completed. */
    final class Drain {
        final AtomicIntegerArray got = new AtomicIntegerArray(recipients);
        final CountDownLatch done = new CountDownLatch(recipients);
        final AtomicLong lastAt = new AtomicLong();

        /** Records a message read by recipient r (its first reading of it, per the ledger). */
        void received(Ledger ledger, int r, int sender, long n, long now) {
            if (ledger.received(r, sender, n) && got.incrementAndGet(r) == perRecipient) {
                lastAt.accumulateAndGet(now, Math::max);
                done.countDown();
            }
        }

        boolean await(long timeoutNanos) throws InterruptedException {
            return done.await(timeoutNanos, TimeUnit.NANOSECONDS);
        }

        /** Recipients not complete (for a timeout message). */
        long incomplete() {
            return done.getCount();
        }
    }

    /** The figures of one repetition; times in nanoTime. */
    record Rep(long firstSend, long lastAccepted, long inboxesFull, long drainStart, long lastReceived, long serverCpuMicros,
               int messages, Ledger.Verdict verdict, String notes) {
        double storedRate() {
            return messages / ((lastAccepted - firstSend) / 1e9);
        }

        double fullAfterSeconds() {
            return (inboxesFull - lastAccepted) / 1e9;
        }

        double storePhaseRate() {
            return messages / ((inboxesFull - firstSend) / 1e9);
        }

        double drainRate() {
            return messages / ((lastReceived - drainStart) / 1e9);
        }

        double roundTripRate() {
            return messages / ((lastReceived - firstSend) / 1e9);
        }

        double cpuPerMessage() {
            return serverCpuMicros < 0 ? Double.NaN : serverCpuMicros / (double) messages;
        }

        String detail() {
            return String.format("stored %,.0f msg/s, full %.2f s after (store phase %,.0f msg/s), drain %,.0f msg/s,"
                            + " round trip %,.0f msg/s, server CPU %.0f µs/msg, lost/dup/reordered %d/%d/%d; %s", storedRate(),
                    fullAfterSeconds(), storePhaseRate(), drainRate(), roundTripRate(), cpuPerMessage(), verdict.lost(),
                    verdict.dup(), verdict.reordered(), notes);
        }
    }

    static final String HEADER = "| system | stored msg/s | inboxes hold all after s | drain msg/s | round trip msg/s"
            + " | server CPU µs/msg | lost/dup |\n|---|---|---|---|---|---|---|";

    /** A table row: medians over the repetitions, lost/dup summed. {@code ackMeansStored}: no separate store step. */
    static String row(String system, List<Rep> reps, boolean ackMeansStored) {
        double full = median(reps, Rep::fullAfterSeconds);
        String fullCell = ackMeansStored ? "0 (ack = stored)"
                : String.format("%.2f (store phase %s msg/s)", full, Bench.num(median(reps, Rep::storePhaseRate)));
        long lost = reps.stream().mapToLong(r -> r.verdict().lost()).sum();
        long dup = reps.stream().mapToLong(r -> r.verdict().dup()).sum();
        long reordered = reps.stream().mapToLong(r -> r.verdict().reordered()).sum();
        long refused = reps.stream().mapToLong(r -> r.verdict().rejected() + r.verdict().unanswered()).sum();
        return String.format("| %s | %s | %s | %s | %s | %s | %d/%d%s%s |", system, Bench.num(median(reps, Rep::storedRate)),
                fullCell, Bench.num(median(reps, Rep::drainRate)), Bench.num(median(reps, Rep::roundTripRate)),
                Bench.num(median(reps, Rep::cpuPerMessage)), lost, dup, reordered == 0 ? ", in order" : ", " + reordered
                        + " out of order", refused == 0 ? "" : ", " + refused + " sends refused or unanswered");
    }

    private static double median(List<Rep> reps, java.util.function.ToDoubleFunction<Rep> f) {
        return Bench.median(reps.stream().mapToDouble(f).toArray());
    }

    @Override
    public String toString() {
        return String.format("%,d recipients x %,d messages from %,d senders (%,d in flight each) = %,d messages",
                recipients, perRecipient, senders, inFlight, total);
    }
}
