package dev.pigeonhole.records;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Writes the binary record format: unsigned varints, length-prefixed UTF-8 strings and byte blocks. A record starts
 * with {@link #FORMAT} and a type byte; nested structures are length-prefixed blocks, so a reader can skip fields a
 * newer writer appended at the end of any structure (see {@link RecordReader}).
 */
public final class RecordWriter {
    /** The format version every record starts with. Appending fields does not change it; anything else does. */
    public static final int FORMAT = 1;

    private byte[] buf;
    private int pos;

    public RecordWriter(int capacity) {
        this.buf = new byte[Math.max(16, capacity)];
    }

    /** Starts a record: format version and type. */
    public static RecordWriter record(int type, int capacity) {
        return new RecordWriter(capacity).u8(FORMAT).u8(type);
    }

    public RecordWriter u8(int v) {
        ensure(1);
        buf[pos++] = (byte) v;
        return this;
    }

    public RecordWriter bool(boolean v) {
        return u8(v ? 1 : 0);
    }

    /** An unsigned varint (7 bits per byte); negative values take 10 bytes. */
    public RecordWriter varLong(long v) {
        ensure(10);
        while ((v & ~0x7FL) != 0) {
            buf[pos++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        buf[pos++] = (byte) v;
        return this;
    }

    /** A nullable long: a presence byte, then the value. */
    public RecordWriter optLong(Long v) {
        return v == null ? u8(0) : u8(1).varLong(v);
    }

    /** A nullable string: length + 1 (0 for null), then UTF-8 bytes. */
    public RecordWriter string(String s) {
        return s == null ? varLong(0) : block(s.getBytes(StandardCharsets.UTF_8));
    }

    /** A nullable byte block: length + 1 (0 for null), then the bytes. */
    public RecordWriter block(byte[] b) {
        if (b == null) {
            return varLong(0);
        }
        varLong(b.length + 1L);
        return raw(b, 0, b.length);
    }

    /** A nested structure written by {@code nested}, as a block. */
    public RecordWriter nested(java.util.function.Consumer<RecordWriter> nested) {
        RecordWriter inner = new RecordWriter(64);
        nested.accept(inner);
        varLong(inner.pos + 1L);
        return raw(inner.buf, 0, inner.pos);
    }

    /** Bytes as they are (no length): for a nested block already encoded, use {@link #block}. */
    public RecordWriter raw(byte[] b, int off, int len) {
        ensure(len);
        System.arraycopy(b, off, buf, pos, len);
        pos += len;
        return this;
    }

    public byte[] toByteArray() {
        return Arrays.copyOf(buf, pos);
    }

    private void ensure(int n) {
        if (pos + n > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + n));
        }
    }
}
