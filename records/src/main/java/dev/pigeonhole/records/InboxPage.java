package dev.pigeonhole.records;

import java.util.ArrayList;
import java.util.List;

/**
 * A page of a user's inbox as the router's read API serves it (binary, {@code application/octet-stream}).
 *
 * @param epoch   identifies the inbox history; 0 while the inbox does not exist yet
 * @param head    the highest seq assigned so far (0 for an empty inbox)
 * @param after   the position the page starts after (the device's acked cursor when the request gave none)
 * @param oldest  the lowest seq still stored ({@code head + 1} when none is)
 * @param gap     set when entries after {@code after} are gone: they are skipped and {@code entries} start after it
 * @param entries entries with {@code seq > after} (and past the gap), in order, without gaps
 */
public record InboxPage(long epoch, long head, long after, long oldest, Gap gap, List<Entry> entries) {

    /** Entries {@code from..to} (inclusive) were removed by retention; {@code reason} as in the {@code gap} frame. */
    public record Gap(long from, long to, String reason) {}

    private static final int TYPE = 1;

    public byte[] encode() {
        int size = 32;
        for (Entry e : entries) {
            size += 48 + e.body().length;
        }
        RecordWriter w = RecordWriter.record(TYPE, size).varLong(epoch).varLong(head).varLong(after).varLong(oldest);
        if (gap == null) {
            w.u8(0);
        } else {
            w.u8(1).varLong(gap.from()).varLong(gap.to()).string(gap.reason());
        }
        w.varLong(entries.size());
        for (Entry e : entries) {
            w.nested(e::write);
        }
        return w.toByteArray();
    }

    public static InboxPage decode(byte[] bytes) {
        RecordReader r = RecordReader.record(bytes, "inbox page");
        if (r.u8() != TYPE) {
            throw new RecordFormatException("not an inbox page");
        }
        long epoch = r.varLong();
        long head = r.varLong();
        long after = r.varLong();
        long oldest = r.varLong();
        Gap gap = r.u8() == 0 ? null : new Gap(r.varLong(), r.varLong(), r.string());
        long n = r.varLong();
        if (n > bytes.length) {
            throw new RecordFormatException("page claims " + n + " entries");
        }
        List<Entry> entries = new ArrayList<>((int) n);
        for (long i = 0; i < n; i++) {
            entries.add(Entry.read(r.nested()));
        }
        return new InboxPage(epoch, head, after, oldest, gap, entries);
    }
}
