package dev.pigeonhole.client;

import java.util.List;

/**
 * One page of {@link PigeonholeClient#fetch}: the entries of {@code from..to} the server still has (it got as far as
 * {@code to}; entries below {@code oldest} are gone). The entries are not stored locally: their {@link InboxEntry#id()}
 * is 0.
 */
public record HistoryPage(long from, long to, long oldest, List<InboxEntry> entries) {}
