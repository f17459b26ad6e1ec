package dev.pigeonhole.client;

/**
 * What waits on the server when a connection starts ({@link Listener#onBacklog}): {@code count} entries up to
 * {@code head}, the oldest ({@code oldest}, sent at {@code oldestSentAt}; null when nothing waits) and, with
 * {@link ClientOptions#newest()}, the range left out ({@code skippedFrom..skippedTo}; null when nothing was skipped),
 * readable with {@link PigeonholeClient#fetch}. {@code epoch} identifies the inbox history.
 */
public record Backlog(long count, Long oldest, Long oldestSentAt, long head, long epoch, Long skippedFrom,
                      Long skippedTo) {}
