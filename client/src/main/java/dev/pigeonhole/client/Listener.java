package dev.pigeonhole.client;

/**
 * Receives what happens to a {@link PigeonholeClient}. All methods are called one at a time, in order, on a thread
 * owned by the client or on the executor the app gave ({@link ClientOptions.Builder#listenerExecutor}); they default
 * to doing nothing. Do not block them for long: incoming messages wait (they are stored meanwhile, see below).
 *
 * <p><b>Inbox entries are delivered at least once, with a stable seq.</b> The entry methods ({@link #onMessage},
 * {@link #onReceipt}, {@link #onUndelivered}, {@link #onShadowDelta}, {@link #onShadowDocuments}, {@link #onGap}) are
 * fed from the client's local message store, in the order received (seq order within one inbox history). The client
 * writes every entry to that store before the server is told to move on; an entry counts as delivered only once the
 * method returned (or threw: that is logged and counts as delivered too), and only delivered entries are acknowledged
 * to the server. If the process dies inside a call, the same entry — same seq, same content — is handed over again
 * on the next start with the same data directory, before anything newer. So an application that must not lose an
 * entry processes it inside the call; one that must not process it twice keeps the last seq it finished (within one
 * inbox history: see {@link #onResync}) and skips what is not above it. Without a data directory the store is in
 * memory and an entry whose call did not finish is gone with the process (as is everything else).
 */
public interface Listener {

    /**
     * The next inbox entry, in seq order — at least once (see above): if the process dies during the call, this entry
     * is handed over again on the next start. Acknowledged to the server after this returns.
     */
    default void onMessage(IncomingMessage message) {}

    /**
     * An attachment of message {@code messageId} is uploading: {@code sent} of {@code total} bytes are on the server
     * (after a restart it starts at what the server already had). Called after each chunk; not an inbox entry.
     */
    default void onUploadProgress(String messageId, String file, long sent, long total) {}

    /**
     * A {@link PigeonholeClient#download} is under way: {@code received} of {@code total} bytes are in
     * {@code target + ".part"} ({@code total} is -1 if the server did not say). Called when the answer starts (a
     * continued download starts at what the {@code .part} had), once per 512 KiB, and when the last byte arrived
     * (before the hash is checked: the download's future says how it ended). Not an inbox entry.
     */
    default void onDownloadProgress(String ref, java.nio.file.Path target, long received, long total) {}

    /**
     * Messages this user sent were delivered to, or read by, {@code receipt.by()}: one call per receipt entry of the
     * inbox, in seq order with the messages (like them, at least once).
     */
    default void onReceipt(Receipt receipt) {}

    /** Messages this user sent will never be received (expired unreceived, or refused by a group): see the reason. */
    default void onUndelivered(Undelivered undelivered) {}

    /**
     * A shadow's work order ({@code shadow_delta}, docs/shadow.md): what its {@code desired} asks that
     * {@code reported} does not show yet. An inbox entry like a message: in seq order, at least once, acknowledged
     * after this returns. Every device of the user receives the deltas of all the user's things: a thing handles those with
     * {@code delta.thing()} equal to its device id. While it was away, only the latest delta of each shadow waits.
     */
    default void onShadowDelta(ShadowDelta delta) {}

    /**
     * A shadow changed ({@code shadow_documents}): the document before and after, and which device changed it. An
     * inbox entry like {@link #onShadowDelta}; while a device was away, only the latest change of each shadow waits.
     */
    default void onShadowDocuments(ShadowDocuments documents) {}

    /**
     * Entries {@code from..to} of the inbox are gone from the server (retention: {@code expired}, {@code trimmed}
     * or {@code acked}) and will not be offered: the loss is explicit, never silent. Shadow entries replaced by a
     * newer one of the same shadow (gap reason {@code superseded}) are not reported here: nothing was lost.
     */
    default void onGap(long from, long to, String reason) {}

    /**
     * On each connection, before anything else: what waits on the server ({@code count} entries up to
     * {@code head}); with {@link ClientOptions#newest()} set, {@code skipped} is the older range left out (read it with
     * {@link PigeonholeClient#fetch}).
     */
    default void onBacklog(Backlog backlog) {}

    /** Everything stored on the server up to {@code seq} has been offered; what follows is live. */
    default void onCaughtUp(long seq) {}

    /** The inbox connection changed state. */
    default void onConnectionState(ConnectionState state) {}

    /** An outgoing message was accepted or rejected. */
    default void onSendState(Outgoing message) {}

    /**
     * The server's inbox was rebuilt without its history (a new epoch): the client dropped its position and will
     * offer the inbox again from seq 1. Entries of the old history that were stored and not yet delivered are still
     * handed over (before this call); seqs start over after it.
     */
    default void onResync() {}

    /**
     * The server refused the connection for a reason that retrying will not fix (WebSocket close code 4100–4199,
     * e.g. 4100 unauthorized, 4103 displaced by a newer connection of this device, 4104 device removed, 4105 too many
     * devices: the user must remove one, {@code DELETE /v1/devices/{device}}, before this one can register); the
     * client stops reconnecting that link.
     */
    default void onRefused(int closeCode, String reason) {}
}
