package dev.pigeonhole.client;

import java.util.List;

/**
 * Messages this user sent were delivered to, or read by, {@code by} (an inbox entry: {@link Listener#onReceipt}).
 *
 * @param messages the messages it covers: for {@code DELIVERED}, {@code devices} of {@code of} registered devices
 *                 of {@code by} have each (for {@code READ} both are 0)
 * @param at       epoch ms when the server wrote it
 */
public record Receipt(long seq, String by, Status status, List<Item> messages, long at) {
    public enum Status { DELIVERED, READ }

    public record Item(String id, String to, int devices, int of) {}
}
