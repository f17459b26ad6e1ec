package dev.pigeonhole.router;

import dev.pigeonhole.protocol.topics.SendEnvelope;

/** A deduplicated send on its way to one recipient's inbox; {@code own} for the sender's self-sync copy. */
public record RoutedSend(SendEnvelope send, boolean own) {}
