package dev.pigeonhole.router;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Keys of the inbox store: {@code user (UTF-8), 0x00, seq (8 bytes, big-endian)}. One user's entries are contiguous
 * and sorted by seq in RocksDB's byte order (user ids never contain NUL; seqs are never negative).
 */
final class InboxKeys {
    private InboxKeys() {}

    static byte[] of(String user, long seq) {
        byte[] u = user.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(u.length + 9).put(u).put((byte) 0).putLong(seq).array();
    }

    /** The last possible key of a user's entries. */
    static byte[] last(String user) {
        return of(user, Long.MAX_VALUE);
    }
}
