package dev.pigeonhole.router;

import dev.pigeonhole.protocol.topics.InboxEntry;
import dev.pigeonhole.protocol.topics.PushRecord;

/**
 * What the inbox processors emit: a {@code push} for a delivery instance (keyed by instance id), or a
 * {@code notice} for another user's inbox (keyed by that user). Exactly one is set.
 */
record Emit(PushRecord push, InboxEntry notice) {
    static Emit push(PushRecord push) {
        return new Emit(push, null);
    }

    static Emit notice(InboxEntry notice) {
        return new Emit(null, notice);
    }
}
