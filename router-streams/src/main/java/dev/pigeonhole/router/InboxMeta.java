package dev.pigeonhole.router;

import java.util.HashMap;
import java.util.Map;

/**
 * Per-user inbox state: the epoch of its history, the last assigned sequence number and each device's
 * acked cursor.
 */
public record InboxMeta(long epoch, long head, Map<String, Long> cursors) {

    /** A new, empty inbox; the epoch is the timestamp of the record that created it (deterministic on replay). */
    static InboxMeta create(long timestamp) {
        return new InboxMeta(Math.max(1, timestamp), 0, Map.of());
    }

    InboxMeta append() {
        return new InboxMeta(epoch, head + 1, cursors);
    }

    long cursor(String device) {
        return cursors.getOrDefault(device, 0L);
    }

    /** Moves a device's cursor forward (never back, never past the head). */
    InboxMeta ack(String device, long seq) {
        long target = Math.min(seq, head);
        if (target <= cursor(device)) {
            return this;
        }
        Map<String, Long> next = new HashMap<>(cursors);
        next.put(device, target);
        return new InboxMeta(epoch, head, next);
    }
}
