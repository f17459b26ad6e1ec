package dev.pigeonhole.router;

import dev.pigeonhole.protocol.topics.InboxEntry;
import dev.pigeonhole.protocol.topics.SendEnvelope;

/**
 * A deduplicated send on its way to one recipient's inbox; {@code own} for the sender's self-sync copy. Or, with
 * {@code send} null, a {@code notice} for the sender's inbox (a group send the router refused).
 */
public record RoutedSend(SendEnvelope send, boolean own, InboxEntry notice) {
    RoutedSend(SendEnvelope send, boolean own) {
        this(send, own, null);
    }
}
