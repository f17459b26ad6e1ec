package dev.pigeonhole.protocol.topics;

/**
 * A live notification for one delivery instance, written by the router to {@link Topics#PUSH} keyed by the
 * instance id. Carries a new {@code entry}; or (entry null) only says the inbox head is {@code head}, which the
 * router sends when it learns of a session so that nothing routed before is missed; or a {@code close} order
 * for one socket.
 */
public record PushRecord(String user, long epoch, long head, InboxEntry entry, Close close) {

    public PushRecord(String user, long epoch, long head, InboxEntry entry) {
        this(user, epoch, head, entry, null);
    }

    public static PushRecord close(String user, String device, String connection, Close.Reason reason) {
        return new PushRecord(user, 0, 0, null, new Close(device, connection, reason));
    }

    /** Close the socket {@code connection} of {@code device}: a newer socket displaced it, or the device was removed. */
    public record Close(String device, String connection, Reason reason) {
        public enum Reason { DISPLACED, REMOVED }
    }
}
