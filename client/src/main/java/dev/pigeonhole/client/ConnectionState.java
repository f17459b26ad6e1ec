package dev.pigeonhole.client;

/** The state of the client's inbox connection, as the client can know it. */
public enum ConnectionState {
    /** Dialing the server (after start or after a drop). */
    CONNECTING,
    /** Connected and hearing from the server: messages flow. */
    ONLINE,
    /** Not connected: waiting before the next attempt, or refused by the server (see {@link Listener#onRefused}). */
    OFFLINE,
    /** {@link PigeonholeClient#close()} was called. */
    CLOSED
}
