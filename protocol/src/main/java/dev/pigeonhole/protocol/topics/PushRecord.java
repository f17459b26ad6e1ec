package dev.pigeonhole.protocol.topics;

/**
 * A live notification for one delivery instance, written by the router to {@link Topics#PUSH} keyed by the
 * instance id. Either carries a new {@code entry}, or (entry null) only says the inbox head is {@code head},
 * which the router sends when it learns of a session so that nothing routed before is missed.
 */
public record PushRecord(String user, long epoch, long head, InboxEntry entry) {}
