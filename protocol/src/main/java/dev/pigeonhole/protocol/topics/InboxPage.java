package dev.pigeonhole.protocol.topics;

import java.util.List;

/**
 * A page of a user's inbox as served by the router's read API.
 *
 * @param epoch   identifies the inbox history; 0 while the inbox does not exist yet
 * @param head    the highest sequence number assigned so far (0 for an empty inbox)
 * @param after   the position the page starts after (the device's acked cursor when the request gave none)
 * @param entries entries with {@code seq > after}, in order, without gaps
 */
public record InboxPage(long epoch, long head, long after, List<InboxEntry> entries) {}
