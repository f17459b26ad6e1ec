package dev.pigeonhole.client;

import java.util.List;

/**
 * Messages this user sent will never be received by {@code recipient} ({@code reason}: e.g. {@code expired},
 * refused by a group); an inbox entry: {@link Listener#onUndelivered}.
 */
public record Undelivered(long seq, String recipient, String reason, List<Item> messages, long at) {
    public record Item(String id, String to, long sentAt) {}
}
