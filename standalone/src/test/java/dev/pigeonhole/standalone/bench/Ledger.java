package dev.pigeonhole.standalone.bench;

import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What was sent, accepted and received in one run, for the correctness counters. Sender {@code s} numbers its
 * messages 0, 1, 2, … (the wire id is {@code "<s>-<n>"}); a message goes to one recipient index, or to a group
 * (target {@code -1 - group}: every member but the sender). Recipients record each {@code (sender, n)} they read.
 */
final class Ledger {
    private final Sender[] senders;
    private final Recipient[] recipients;
    private final int[][] groups;
    /** Deliveries owed for accepted messages, and distinct ones received: the run is complete when they meet. */
    final AtomicLong owed = new AtomicLong();
    final AtomicLong received = new AtomicLong();
    final AtomicLong answered = new AtomicLong();
    final AtomicLong sent = new AtomicLong();

    Ledger(int senderCount, int recipientCount, int[][] groups) {
        senders = new Sender[senderCount];
        Arrays.setAll(senders, i -> new Sender());
        recipients = new Recipient[recipientCount];
        Arrays.setAll(recipients, i -> new Recipient());
        this.groups = groups;
    }

    static String id(int sender, long n) {
        return sender + "-" + n;
    }

    /** Records a send; returns its number {@code n}. */
    long sent(int sender, int target, long intendedNanos) {
        sent.incrementAndGet();
        return senders[sender].add(target, intendedNanos);
    }

    int inFlight(int sender) {
        return senders[sender].inFlight();
    }

    /** An {@code accepted} (or producer ack) for {@code id}; returns the intended send time, or -1 if unknown. */
    long accepted(String id) {
        int dash = id.indexOf('-');
        int s = Integer.parseInt(id, 0, dash, 10);
        long n = Long.parseLong(id, dash + 1, id.length(), 10);
        return accepted(s, n);
    }

    long accepted(int s, long n) {
        answered.incrementAndGet();
        Sender sender = senders[s];
        long t = sender.answer(n, true);
        if (t >= 0) {
            int target = sender.target(n);
            owed.addAndGet(target >= 0 ? 1 : groups[-1 - target].length - 1);
        }
        return t;
    }

    /** The target of message {@code n} of {@code sender} (recipient index, or -1 - group). */
    int target(int sender, long n) {
        return senders[sender].target(n);
    }

    void rejected(String id) {
        int dash = id.indexOf('-');
        answered.incrementAndGet();
        senders[Integer.parseInt(id, 0, dash, 10)].answer(Long.parseLong(id, dash + 1, id.length(), 10), false);
    }

    /** Recipient {@code r} read message {@code id}; true the first time. */
    boolean received(int r, String id) {
        int dash = id.indexOf('-');
        return received(r, Integer.parseInt(id, 0, dash, 10), Long.parseLong(id, dash + 1, id.length(), 10));
    }

    boolean received(int r, int s, long n) {
        boolean first = recipients[r].add(s, n);
        if (first) {
            received.incrementAndGet();
        }
        return first;
    }

    /** True once every accepted message reached all its recipients and every send was answered. */
    boolean complete() {
        return answered.get() >= sent.get() && received.get() >= owed.get();
    }

    /** Correctness counters, from the state now. */
    Verdict verdict() {
        long expected = 0;
        long lost = 0;
        long rejected = 0;
        long unanswered = 0;
        for (int s = 0; s < senders.length; s++) {
            Sender sender = senders[s];
            synchronized (sender) {
                for (long n = 0; n < sender.count; n++) {
                    if (sender.rejected.get((int) n)) {
                        rejected++;
                        continue;
                    } else if (!sender.accepted.get((int) n)) {
                        unanswered++;
                        continue;
                    }
                    int target = sender.targets[(int) n];
                    for (int r : target >= 0 ? new int[] {target} : groups[-1 - target]) {
                        if (r == s && target < 0) {
                            continue; // a group send is not delivered to its sender
                        }
                        expected++;
                        if (!recipients[r].has(s, n)) {
                            lost++;
                        }
                    }
                }
            }
        }
        long dup = 0;
        long reordered = 0;
        for (Recipient r : recipients) {
            synchronized (r) {
                dup += r.dup;
                reordered += r.reordered;
            }
        }
        return new Verdict(expected, received.get(), lost, dup, reordered, rejected, unanswered);
    }

    record Verdict(long expected, long received, long lost, long dup, long reordered, long rejected, long unanswered) {
        /** "lost/dup/reordered", plus rejected and unanswered sends when there were any. */
        String cell() {
            String s = lost + "/" + dup + "/" + reordered;
            if (rejected > 0 || unanswered > 0) {
                s += " (" + rejected + " rejected, " + unanswered + " unanswered)";
            }
            return s;
        }
    }

    private static final class Sender {
        private int count;
        private int inFlight;
        private int[] targets = new int[1024];
        private long[] intended = new long[1024];
        private final BitSet accepted = new BitSet();
        private final BitSet rejected = new BitSet();

        synchronized long add(int target, long t) {
            if (count == targets.length) {
                targets = Arrays.copyOf(targets, count * 2);
                intended = Arrays.copyOf(intended, count * 2);
            }
            targets[count] = target;
            intended[count] = t;
            inFlight++;
            return count++;
        }

        synchronized int inFlight() {
            return inFlight;
        }

        synchronized int target(long n) {
            return targets[(int) n];
        }

        /** Returns the intended time of a first answer, -1 for an unknown or repeated one. */
        synchronized long answer(long n, boolean ok) {
            int i = (int) n;
            if (n >= count || accepted.get(i) || rejected.get(i)) {
                return -1;
            }
            (ok ? accepted : rejected).set(i);
            inFlight--;
            return intended[i];
        }
    }

    /** Per sender: the numbers read, and the highest so far (a lower one after it is out of order). */
    private static final class Recipient {
        private final Map<Integer, BitSet> seen = new HashMap<>();
        private final Map<Integer, Long> last = new HashMap<>();
        private long dup;
        private long reordered;

        synchronized boolean add(int s, long n) {
            BitSet bits = seen.computeIfAbsent(s, k -> new BitSet());
            if (bits.get((int) n)) {
                dup++;
                return false;
            }
            bits.set((int) n);
            Long prev = last.get(s);
            if (prev != null && n < prev) {
                reordered++;
            } else {
                last.put(s, n);
            }
            return true;
        }

        synchronized boolean has(int s, long n) {
            BitSet bits = seen.get(s);
            return bits != null && bits.get((int) n);
        }
    }
}
