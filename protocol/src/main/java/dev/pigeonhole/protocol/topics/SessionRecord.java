package dev.pigeonhole.protocol.topics;

/**
 * What delivery tells the router about a device's inbox socket, written to {@link Topics#SESSIONS} keyed by user.
 *
 * <ul>
 *   <li>{@code CONNECT}: a socket opened; {@code after} is the position it asked for (null: resume from the acked
 *       cursor). Registers the device if the router does not know it yet.
 *   <li>{@code REFRESH}: the socket is still open (every {@code session-refresh}).
 *   <li>{@code DISCONNECT}: the socket closed.
 *   <li>{@code REMOVE}: the user removed the device: its cursor goes and a connected socket is closed.
 * </ul>
 * {@code connection} identifies one socket; {@code connectedAt} orders the sockets of one device (the newest
 * one stays, S7).
 */
public record SessionRecord(Op op, String device, String instance, String connection, long connectedAt, Long after) {

    public enum Op { CONNECT, REFRESH, DISCONNECT, REMOVE }

    public static SessionRecord remove(String device) {
        return new SessionRecord(Op.REMOVE, device, null, null, 0, null);
    }
}
