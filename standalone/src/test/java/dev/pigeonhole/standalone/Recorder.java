package dev.pigeonhole.standalone;

import dev.pigeonhole.client.ConnectionState;
import dev.pigeonhole.client.IncomingMessage;
import dev.pigeonhole.client.Listener;
import dev.pigeonhole.client.Outgoing;
import java.util.ArrayList;
import java.util.List;

/** A client listener that records everything with the time it happened. */
final class Recorder implements Listener {
    record StateChange(long at, ConnectionState state) {}

    private final List<IncomingMessage> messages = new ArrayList<>();
    private final List<StateChange> states = new ArrayList<>();
    private final List<Outgoing> settled = new ArrayList<>();
    private final List<Long> entrySeqs = new ArrayList<>();
    private final List<dev.pigeonhole.client.Receipt> receipts = new ArrayList<>();
    private final List<Integer> refusals = new ArrayList<>();
    private final List<dev.pigeonhole.client.Backlog> backlogs = new ArrayList<>();
    private final List<String> gaps = new ArrayList<>();
    private int resyncs;

    @Override
    public synchronized void onMessage(IncomingMessage message) {
        messages.add(message);
        entrySeqs.add(message.seq());
    }

    @Override
    public synchronized void onReceipt(dev.pigeonhole.client.Receipt receipt) {
        receipts.add(receipt);
        entrySeqs.add(receipt.seq());
    }

    @Override
    public synchronized void onUndelivered(dev.pigeonhole.client.Undelivered undelivered) {
        entrySeqs.add(undelivered.seq());
    }

    /** The seqs of every inbox entry the listener got (messages, receipts, undelivered notices), in order. */
    synchronized List<Long> entrySeqs() {
        return List.copyOf(entrySeqs);
    }

    synchronized List<dev.pigeonhole.client.Receipt> receipts() {
        return List.copyOf(receipts);
    }

    @Override
    public synchronized void onConnectionState(ConnectionState state) {
        states.add(new StateChange(System.currentTimeMillis(), state));
    }

    @Override
    public synchronized void onSendState(Outgoing message) {
        settled.add(message);
    }

    @Override
    public synchronized void onRefused(int closeCode, String reason) {
        refusals.add(closeCode);
    }

    @Override
    public synchronized void onGap(long from, long to, String reason) {
        gaps.add(from + "-" + to + " " + reason);
    }

    @Override
    public synchronized void onBacklog(dev.pigeonhole.client.Backlog backlog) {
        backlogs.add(backlog);
    }

    synchronized List<dev.pigeonhole.client.Backlog> backlogs() {
        return List.copyOf(backlogs);
    }

    synchronized List<Integer> refusals() {
        return List.copyOf(refusals);
    }

    synchronized List<String> gaps() {
        return List.copyOf(gaps);
    }

    @Override
    public synchronized void onResync() {
        resyncs++;
    }

    synchronized List<IncomingMessage> messages() {
        return List.copyOf(messages);
    }

    /** Messages from {@code user} (not own copies), in the order the listener got them. */
    synchronized List<IncomingMessage> from(String user) {
        return messages.stream().filter(m -> !m.own() && m.from().equals(user)).toList();
    }

    /**
     * What arrived from {@code user}, as runs of consecutive texts "m<i>" with their seqs, then gaps, refusals and
     * backlogs: short enough to survive a truncated CI log (a list of hundreds does not).
     */
    synchronized String describe(String user) {
        StringBuilder out = new StringBuilder();
        List<IncomingMessage> got = from(user);
        int start = 0;
        for (int i = 1; i <= got.size(); i++) {
            if (i == got.size() || number(got.get(i)) != number(got.get(i - 1)) + 1
                    || got.get(i).seq() != got.get(i - 1).seq() + 1) {
                IncomingMessage a = got.get(start);
                IncomingMessage b = got.get(i - 1);
                out.append(text(a)).append("..").append(text(b)).append(" (seq ").append(a.seq()).append("..")
                        .append(b.seq()).append(") ");
                start = i;
            }
        }
        return out.append("; ").append(got.size()).append(" messages; gaps ").append(gaps).append("; refusals ")
                .append(refusals).append("; backlogs ").append(backlogs.size()).toString();
    }

    private static String text(IncomingMessage m) {
        return m.text();
    }

    private static long number(IncomingMessage m) {
        String t = text(m);
        try {
            return Long.parseLong(t.substring(1));
        } catch (RuntimeException e) {
            return -2;
        }
    }

    synchronized List<StateChange> states() {
        return List.copyOf(states);
    }

    synchronized List<Outgoing> settled() {
        return List.copyOf(settled);
    }

    synchronized int resyncs() {
        return resyncs;
    }

    /** The state the client had reported at {@code time}. */
    synchronized ConnectionState stateAt(long time) {
        ConnectionState s = ConnectionState.OFFLINE;
        for (StateChange c : states) {
            if (c.at() > time) {
                break;
            }
            s = c.state();
        }
        return s;
    }
}
