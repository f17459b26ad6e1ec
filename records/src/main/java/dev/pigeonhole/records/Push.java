package dev.pigeonhole.records;

/**
 * A live notification for one delivery instance: a record of {@link Topics#PUSH} keyed by the instance id. Delivery
 * reads pushes without waiting for the router's transactions to commit: a push only says what the inbox store holds,
 * and the store's seq → entry mapping is a function of the ordered operation log, so a push of an aborted attempt
 * is made again, identically, by the replay (router-streams/DESIGN.md).
 */
public sealed interface Push {
    String user();

    /** A new entry; {@code head} is the inbox head after it. */
    record NewEntry(String user, long epoch, long head, Entry entry) implements Push {}

    /**
     * The inbox head, sent when the router takes a socket's session ({@code connection}): entries appended before
     * are read from the store, later ones are pushed, so the switch from backlog to live loses nothing.
     * {@code startsAt} (null when unknown or when entries wait) is the device's start position when it equals the
     * head: nothing waits, and the stream starts there without reading the store — the common reconnect of a device
     * that was caught up, which a reconnect storm is made of. Appended in 0.3 (older readers skip it).
     */
    record Head(String user, long epoch, long head, String connection, Long startsAt) implements Push {
        public Head(String user, long epoch, long head, String connection) {
            this(user, epoch, head, connection, null);
        }
    }

    /**
     * Close the socket {@code connection} of {@code device}: a newer socket displaced it, the device was removed, or
     * its connect was refused because the user has the maximum number of registered devices. The reason's ordinal is
     * its wire value: append new reasons, never reorder.
     */
    record Close(String user, String device, String connection, Reason reason) implements Push {
        public enum Reason { DISPLACED, REMOVED, TOO_MANY_DEVICES }
    }

    /**
     * The answer to shadow request {@code request} of this instance ({@code InboxOp.Shadow}): the JSON text of a
     * {@code shadow_accepted} or {@code shadow_rejected} frame.
     */
    record ShadowAnswer(String user, String request, String frame) implements Push {}

    static byte[] encode(Push push) {
        if (push instanceof NewEntry e) {
            RecordWriter w = RecordWriter.record(1, 96 + e.entry().body().length).string(e.user())
                    .varLong(e.epoch()).varLong(e.head());
            return w.nested(e.entry()::write).toByteArray();
        } else if (push instanceof Head h) {
            return RecordWriter.record(2, 64).string(h.user()).varLong(h.epoch()).varLong(h.head())
                    .string(h.connection()).optLong(h.startsAt()).toByteArray();
        } else if (push instanceof ShadowAnswer a) {
            return RecordWriter.record(4, 64 + a.frame().length() * 3).string(a.user()).string(a.request())
                    .string(a.frame()).toByteArray();
        } else {
            Close c = (Close) push;
            return RecordWriter.record(3, 64).string(c.user()).string(c.device()).string(c.connection())
                    .u8(c.reason().ordinal()).toByteArray();
        }
    }

    static Push decode(byte[] bytes) {
        RecordReader r = RecordReader.record(bytes, "push");
        int type = r.u8();
        Push push = switch (type) {
            case 1 -> new NewEntry(r.string(), r.varLong(), r.varLong(), Entry.read(r.nested()));
            case 2 -> {
                String user = r.string();
                long epoch = r.varLong();
                long head = r.varLong();
                String connection = r.string();
                yield new Head(user, epoch, head, connection, r.more() ? r.optLong() : null);
            }
            case 3 -> {
                String user = r.string();
                String device = r.string();
                String connection = r.string();
                int reason = r.u8();
                if (reason >= Close.Reason.values().length) {
                    throw new RecordFormatException("unknown close reason " + reason);
                }
                yield new Close(user, device, connection, Close.Reason.values()[reason]);
            }
            case 4 -> {
                ShadowAnswer a = new ShadowAnswer(r.string(), r.string(), r.string());
                if (a.request() == null || a.frame() == null) {
                    throw new RecordFormatException("shadow answer without request or frame");
                }
                yield a;
            }
            default -> throw new RecordFormatException("unknown push type " + type + " (written by a newer build?)");
        };
        if (push.user() == null) {
            throw new RecordFormatException("push without a user");
        }
        return push;
    }
}
