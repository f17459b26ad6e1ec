package dev.pigeonhole.client.spi;

import dev.pigeonhole.client.InboxEntry;

/**
 * An entry of the local inbox store: what {@link InboxEntry} shows plus the epoch it was received in.
 * {@code json} is the entry frame as received; the other fields are taken from it for queries.
 *
 * @param id 0 until stored; then the store's order
 */
public record InboxRow(long id, long seq, long epoch, String kind, String from, String to, boolean own, long at,
                       String json) {
    public static final String GAP = "gap";

    public InboxRow withId(long newId) {
        return new InboxRow(newId, seq, epoch, kind, from, to, own, at, json);
    }

    public InboxEntry entry() {
        return new InboxEntry(id, seq, kind, from, to, own, at, json);
    }
}
