package dev.pigeonhole.records;

import dev.pigeonhole.protocol.Json;
import dev.pigeonhole.protocol.ServerFrame;
import java.util.List;

/**
 * One entry of a user's inbox, numbered by a gapless per-user {@code seq} from 1 (S3); 0 before it is appended.
 *
 * <p>Most entries are messages: {@code body} is the JSON the sender wrote, carried as validated, opaque UTF-8 bytes
 * from the gateway to the recipient's socket — never parsed on the way. The router also writes notices into a
 * sender's inbox, with {@code from} the user they concern and a JSON {@code body} of details: {@link Kind#RECEIPT}
 * ({@link Receipt}) and {@link Kind#UNDELIVERED} ({@link Undelivered}), and the shadow entries (docs/shadow.md): for those
 * {@code from} is the shadow's owner, {@code fromDevice} the device that changed it, {@code to} the thing, and
 * {@code body} the frame's JSON fields.
 *
 * <p>An entry's identity within an inbox is {@link #dedupKey()}: (kind, from, fromDevice, id).
 */
public record Entry(long seq, Kind kind, String id, String from, String fromDevice, String to, long sentAt,
                    boolean own, byte[] body, byte[] attachments) {

    /**
     * {@code attachments}: a message's attachment metadata as the gateway validated it (a JSON array, docs/protocol.md),
     * or null. Written after the body, so records of older builds (without it) still decode.
     */
    public Entry(long seq, Kind kind, String id, String from, String fromDevice, String to, long sentAt, boolean own,
                 byte[] body) {
        this(seq, kind, id, from, fromDevice, to, sentAt, own, body, null);
    }

    public enum Kind {
        MESSAGE(1), RECEIPT(2), UNDELIVERED(3),
        /** A thing's delta after a shadow change (body: the frame's fields); collapsed per shadow. */
        SHADOW_DELTA(4),
        /** A shadow's previous and current document (body: the frame's fields); collapsed per shadow. */
        SHADOW_DOCUMENTS(5),
        /** A shadow entry a newer one of the same shadow and kind replaced: keeps its seq, has no content. */
        SUPERSEDED(6);

        final int code;

        Kind(int code) {
            this.code = code;
        }

        static Kind of(int code) {
            for (Kind k : values()) {
                if (k.code == code) {
                    return k;
                }
            }
            throw new RecordFormatException("unknown entry kind " + code + " (written by a newer build?)");
        }
    }

    /** Body of a receipt notice: which of the sender's messages reached (or were read by) user {@code from}. */
    public record Receipt(ServerFrame.Receipt.Status status, List<ServerFrame.Receipt.Item> messages) {}

    /** Body of an undelivered notice: the sender's messages that will never reach the recipient, and why. */
    public record Undelivered(String reason, List<ServerFrame.Undelivered.Item> messages) {}

    public static Entry message(String id, String from, String fromDevice, String to, long sentAt, boolean own,
                                byte[] body) {
        return new Entry(0, Kind.MESSAGE, id, from, fromDevice, to, sentAt, own, body);
    }

    /** A message with attachments ({@code attachments}: their JSON array, or null for none). */
    public static Entry message(String id, String from, String fromDevice, String to, long sentAt, boolean own,
                                byte[] body, byte[] attachments) {
        return new Entry(0, Kind.MESSAGE, id, from, fromDevice, to, sentAt, own, body, attachments);
    }

    /** A notice for a sender's inbox; {@code id} must be deterministic (the router deduplicates notices by it). */
    public static Entry notice(Kind kind, String id, String about, long at, Object details) {
        return new Entry(0, kind, id, about, null, null, at, false, Json.writeBytes(details));
    }

    /** A shadow entry of the owner's inbox; {@code id} is unique per shadow, kind and version. */
    public static Entry shadow(Kind kind, String id, String owner, String device, String thing, long at, byte[] body) {
        return new Entry(0, kind, id, owner, device, thing, at, false, body);
    }

    /** This entry replaced by a newer one of the same shadow: the same seq and identity, no content. */
    public Entry superseded() {
        return new Entry(seq, Kind.SUPERSEDED, id, from, fromDevice, to, sentAt, false, EMPTY_OBJECT);
    }

    private static final byte[] EMPTY_OBJECT = {'{', '}'};

    public Entry withSeq(long seq) {
        return new Entry(seq, kind, id, from, fromDevice, to, sentAt, own, body, attachments);
    }

    public boolean isMessage() {
        return kind == Kind.MESSAGE;
    }

    /** What makes two appends to one inbox the same entry: a resend, or a notice relayed twice. */
    public String dedupKey() {
        return kind.code + "\u0000" + from + '\u0000' + (fromDevice == null ? "" : fromDevice) + '\u0000' + id;
    }

    void write(RecordWriter w) {
        w.u8(kind.code).varLong(seq).string(id).string(from).string(fromDevice).string(to).varLong(sentAt).bool(own)
                .block(body).block(attachments); // attachments always (null: one byte), so later fields can follow
    }

    static Entry read(RecordReader r) {
        Kind kind = Kind.of(r.u8());
        long seq = r.varLong();
        String id = r.string();
        String from = r.string();
        String fromDevice = r.string();
        String to = r.string();
        long sentAt = r.varLong();
        boolean own = r.bool();
        byte[] body = r.block();
        byte[] attachments = r.more() ? r.block() : null;
        if (id == null || from == null || body == null) {
            throw new RecordFormatException("entry without id, from or body");
        }
        return new Entry(seq, kind, id, from, fromDevice, to, sentAt, own, body, attachments);
    }

    /** The entry alone, as the router stores it. */
    public byte[] encode() {
        RecordWriter w = RecordWriter.record(TYPE, 64 + body.length + (attachments == null ? 0 : attachments.length));
        write(w);
        return w.toByteArray();
    }

    public static Entry decode(byte[] bytes) {
        RecordReader r = RecordReader.record(bytes, "inbox entry");
        int type = r.u8();
        if (type != TYPE) {
            throw new RecordFormatException("not an inbox entry: type " + type);
        }
        return read(r);
    }

    private static final int TYPE = 1;

    @Override
    public boolean equals(Object o) {
        return o instanceof Entry e && seq == e.seq && kind == e.kind && id.equals(e.id) && from.equals(e.from)
                && java.util.Objects.equals(fromDevice, e.fromDevice) && java.util.Objects.equals(to, e.to)
                && sentAt == e.sentAt && own == e.own && java.util.Arrays.equals(body, e.body)
                && java.util.Arrays.equals(attachments, e.attachments);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(seq, kind, id, from, fromDevice, sentAt) * 31 + java.util.Arrays.hashCode(body);
    }

    @Override
    public String toString() {
        return "Entry[" + seq + " " + kind + " " + from + "/" + fromDevice + "/" + id + " -> " + to + (own ? " own" : "")
                + " " + new String(body, java.nio.charset.StandardCharsets.UTF_8)
                + (attachments == null ? "" : " " + new String(attachments, java.nio.charset.StandardCharsets.UTF_8)) + "]";
    }
}
