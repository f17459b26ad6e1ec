package dev.pigeonhole.records;

import java.nio.charset.StandardCharsets;

/**
 * Reads what {@link RecordWriter} wrote. Bounds are checked: malformed input raises {@link RecordFormatException},
 * never anything else. Bytes left after the fields a reader knows are ignored (a newer writer appended fields).
 */
public final class RecordReader {
    private final byte[] buf;
    private int pos;
    private final int end;

    public RecordReader(byte[] buf) {
        this(buf, 0, buf.length);
    }

    private RecordReader(byte[] buf, int pos, int end) {
        this.buf = buf;
        this.pos = pos;
        this.end = end;
    }

    /** Checks the format version of a record and returns its type. */
    public static RecordReader record(byte[] bytes, String what) {
        if (bytes == null || bytes.length < 2) {
            throw new RecordFormatException(what + ": " + (bytes == null ? "no value" : bytes.length + " bytes"));
        }
        RecordReader r = new RecordReader(bytes);
        int format = r.u8();
        if (format != RecordWriter.FORMAT) {
            throw new RecordFormatException(what + ": format version " + format + " is not supported (this build reads "
                    + RecordWriter.FORMAT + ")");
        }
        return r;
    }

    public int u8() {
        need(1);
        return buf[pos++] & 0xFF;
    }

    public boolean bool() {
        return u8() != 0;
    }

    public long varLong() {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            need(1);
            byte b = buf[pos++];
            v |= (long) (b & 0x7F) << shift;
            if (b >= 0) {
                return v;
            }
        }
        throw new RecordFormatException("varint longer than 10 bytes at " + pos);
    }

    /** Whether bytes are left: a field a newer writer appended (read it only if this build knows it). */
    public boolean more() {
        return pos < end;
    }

    public Long optLong() {
        return u8() == 0 ? null : varLong();
    }

    public String string() {
        int len = length();
        if (len < 0) {
            return null;
        }
        String s = new String(buf, pos, len, StandardCharsets.UTF_8);
        pos += len;
        return s;
    }

    public byte[] block() {
        int len = length();
        if (len < 0) {
            return null;
        }
        byte[] b = java.util.Arrays.copyOfRange(buf, pos, pos + len);
        pos += len;
        return b;
    }

    /** A nested structure: a reader over its block only (its unknown trailing fields are skipped with it). */
    public RecordReader nested() {
        int len = length();
        if (len < 0) {
            throw new RecordFormatException("missing nested structure at " + pos);
        }
        RecordReader inner = new RecordReader(buf, pos, pos + len);
        pos += len;
        return inner;
    }

    private int length() {
        long n = varLong() - 1;
        if (n < -1 || n > end - pos) {
            throw new RecordFormatException("length " + n + " at " + pos + " runs past the record (" + (end - pos) + " left)");
        }
        return (int) n;
    }

    private void need(int n) {
        if (pos + n > end) {
            throw new RecordFormatException("record ends early at byte " + pos);
        }
    }
}
