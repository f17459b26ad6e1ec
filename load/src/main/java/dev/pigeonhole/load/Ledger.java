package dev.pigeonhole.load;

import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Every message of a run, for the correctness counters. Sender {@code s} numbers its messages 0, 1, 2, … (wire id
 * {@code "<s>-<n>"}); a message goes to one recipient index, or to a group (target {@code -1 - g}: every member of
 * group {@code g} but the sender). Recipients record each {@code (sender, n)} they read: a second read is a
 * duplicate, a lower {@code n} after a higher one from the same sender is a reorder, an accepted message some
 * recipient never read is lost. Thread-safe.
 */
public final class Ledger {
    private final Sender[] senders;
    private final Recipient[] recipients;
    private final int[][] groups;
    private final AtomicLong owed = new AtomicLong();
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong answered = new AtomicLong();
    private final AtomicLong sent = new AtomicLong();

    /** @param groups member indexes per group (may be empty) */
    public Ledger(int senderCount, int recipientCount, int[][] groups) {
        senders = new Sender[senderCount];
        Arrays.setAll(senders, i -> new Sender());
        recipients = new Recipient[recipientCount];
        Arrays.setAll(recipients, i -> new Recipient());
        this.groups = groups;
    }

    public static String id(int sender, long n) {
        return sender + "-" + n;
    }

    /** {sender, n} of a wire id made by {@link #id}, or null for another id. */
    public static long[] parse(String id) {
        int dash = id == null ? -1 : id.indexOf('-');
        if (dash <= 0) {
            return null;
        }
        try {
            return new long[] {Integer.parseInt(id, 0, dash, 10), Long.parseLong(id, dash + 1, id.length(), 10)};
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Records a send; returns its number {@code n}. */
    public long sent(int sender, int target, long intendedNanos) {
        sent.incrementAndGet();
        return senders[sender].add(target, intendedNanos);
    }

    /** The first {@code accepted} for a message: returns its intended send time, or -1 for an unknown or repeated answer. */
    public long accepted(int s, long n) {
        long t = senders[s].answer(n, true);
        if (t >= 0) {
            answered.incrementAndGet();
            int target = senders[s].target(n);
            owed.addAndGet(target >= 0 ? 1 : recipientsOf(s, target).length);
        }
        return t;
    }

    public void refused(int s, long n) {
        if (senders[s].answer(n, false) >= 0) {
            answered.incrementAndGet();
        }
    }

    /** The intended send time of message {@code n} of {@code s}, or -1. */
    public long intended(int s, long n) {
        return senders[s].intended(n);
    }

    /** Recipient {@code r} read message {@code n} of {@code s}; true the first time. */
    public boolean received(int r, int s, long n) {
        boolean first = recipients[r].add(s, n);
        if (first) {
            received.incrementAndGet();
        }
        return first;
    }

    public long sent() {
        return sent.get();
    }

    public long receivedCount() {
        return received.get();
    }

    /** Every send answered and every accepted message read by all its recipients. */
    public boolean complete() {
        return answered.get() >= sent.get() && received.get() >= owed.get();
    }

    private int[] recipientsOf(int s, int target) {
        if (target >= 0) {
            return new int[] {target};
        }
        return Arrays.stream(groups[-1 - target]).filter(m -> m != s).toArray();
    }

    /** Deliveries owed for messages accepted with an intended send time before {@code intendedNanos} and not read yet. */
    public long undeliveredBefore(long intendedNanos) {
        long missing = 0;
        for (int s = 0; s < senders.length; s++) {
            Sender sender = senders[s];
            synchronized (sender) {
                for (int n = 0; n < sender.count; n++) {
                    if (sender.accepted.get(n) && sender.intended[n] < intendedNanos) {
                        for (int r : recipientsOf(s, sender.targets[n])) {
                            if (!recipients[r].has(s, n)) {
                                missing++;
                            }
                        }
                    }
                }
            }
        }
        return missing;
    }

    /** The correctness counters as of now. */
    public Verdict verdict() {
        long expected = 0;
        long lost = 0;
        long refused = 0;
        long unanswered = 0;
        for (int s = 0; s < senders.length; s++) {
            Sender sender = senders[s];
            synchronized (sender) {
                for (int n = 0; n < sender.count; n++) {
                    if (sender.refused.get(n)) {
                        refused++;
                    } else if (!sender.accepted.get(n)) {
                        unanswered++;
                    } else {
                        for (int r : recipientsOf(s, sender.targets[n])) {
                            expected++;
                            if (!recipients[r].has(s, n)) {
                                lost++;
                            }
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
        return new Verdict(sent.get(), expected, received.get(), lost, dup, reordered, refused, unanswered);
    }

    /**
     * @param expected deliveries owed for accepted messages (a group send: one per other member)
     * @param received distinct deliveries read
     * @param lost     owed but not read
     */
    public record Verdict(long sent, long expected, long received, long lost, long duplicated, long reordered,
                          long refused, long unanswered) {
        /** Nothing lost, duplicated or reordered, and every send answered. */
        public boolean clean() {
            return lost == 0 && duplicated == 0 && reordered == 0 && unanswered == 0;
        }

        @Override
        public String toString() {
            return String.format("sent %d, deliveries expected %d, received %d: lost %d, duplicated %d, reordered %d;"
                    + " refused %d, unanswered %d", sent, expected, received, lost, duplicated, reordered, refused, unanswered);
        }
    }

    private static final class Sender {
        private int count;
        private int[] targets = new int[64];
        private long[] intended = new long[64];
        private final BitSet accepted = new BitSet();
        private final BitSet refused = new BitSet();

        synchronized long add(int target, long t) {
            if (count == targets.length) {
                targets = Arrays.copyOf(targets, count * 2);
                intended = Arrays.copyOf(intended, count * 2);
            }
            targets[count] = target;
            intended[count] = t;
            return count++;
        }

        synchronized int target(long n) {
            return targets[(int) n];
        }

        synchronized long intended(long n) {
            return n >= 0 && n < count ? intended[(int) n] : -1;
        }

        /** The intended time on a first answer, -1 for an unknown or repeated one. */
        synchronized long answer(long n, boolean ok) {
            int i = (int) n;
            if (n < 0 || n >= count || accepted.get(i) || refused.get(i)) {
                return -1;
            }
            (ok ? accepted : refused).set(i);
            return intended[i];
        }
    }

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
