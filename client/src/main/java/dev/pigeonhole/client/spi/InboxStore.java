package dev.pigeonhole.client.spi;

import java.util.List;

/**
 * The local message store: every inbox entry (and gap) the client received, in the order received, with markers
 * (local ids) of how far consumers got. Implementations are thread-safe.
 *
 * <p>Contract (checked by {@code InboxStoreContractTest} for every implementation):
 * <ul>
 *   <li>{@link #received} stores the rows and the position in one transaction, durably as the implementation can:
 *       after a crash either both are there or neither; rows get increasing ids in the order given;</li>
 *   <li>{@link #after} and {@link #newest} list rows in id order;</li>
 *   <li>markers start at 0 and are kept as set ({@link #mark} never moves one back);</li>
 *   <li>a durable implementation reopened on the same storage has the same rows, markers and position.</li>
 * </ul>
 */
public interface InboxStore extends CursorStore {
    /** Marker: the last row handed to the listener that returned (what is acked, and where a restart resumes). */
    String DELIVERED = "delivered";
    /** Marker: the last row covered by {@code markRead}. */
    String READ = "read";
    /** Prefix of the markers of {@code unshown} consumers. */
    String SHOWN = "shown:";

    /** Appends the rows (ids assigned in order) and saves the position, in one transaction. */
    void received(List<InboxRow> rows, Cursor position);

    /** Up to {@code limit} rows with an id above {@code id}, in id order. */
    List<InboxRow> after(long id, int limit);

    /** The newest {@code limit} rows, in id order. */
    List<InboxRow> newest(int limit);

    /** The id a marker is at (0 if never set). */
    long marker(String name);

    /** Moves a marker forward to {@code id} (a lower id than it has is ignored). */
    void mark(String name, long id);

    /** Messages from other users (not {@code own}) with an id above {@code id}. */
    int messagesFromOthersAfter(long id);

    /** The id of the newest row whose seq is at most {@code seq}, or 0. */
    long lastIdAtOrBelow(long seq);
}
