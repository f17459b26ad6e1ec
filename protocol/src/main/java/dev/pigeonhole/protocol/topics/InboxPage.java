package dev.pigeonhole.protocol.topics;

import java.util.List;

/**
 * A page of a user's inbox as served by the router's read API.
 *
 * @param epoch   identifies the inbox history; 0 while the inbox does not exist yet
 * @param head    the highest sequence number assigned so far (0 for an empty inbox)
 * @param after   the position the page starts after (the device's acked cursor when the request gave none, the
 *                head for a device the router does not know yet)
 * @param oldest  the lowest seq still stored ({@code head + 1} when none is)
 * @param gap     set when entries after {@code after} are gone: they are skipped and {@code entries} start after it
 * @param entries entries with {@code seq > after} (and past the gap), in order, without gaps
 */
public record InboxPage(long epoch, long head, long after, long oldest, Gap gap, List<InboxEntry> entries) {

    /** Entries {@code from..to} (inclusive) were removed by retention; {@code reason} as in the {@code gap} frame. */
    public record Gap(long from, long to, String reason) {}
}
