package dev.pigeonhole.client.spi;

/**
 * A message in the outbox, as stored.
 *
 * @param position order of {@code add} calls; sends go out in this order
 * @param body     the body's JSON text
 */
public record OutboxMessage(long position, String id, String to, String body, long createdAt) {}
