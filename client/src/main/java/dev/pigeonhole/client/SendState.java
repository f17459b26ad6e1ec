package dev.pigeonhole.client;

/** Where an outgoing message is. */
public enum SendState {
    /** Stored in the local outbox; it will be sent (again) until the server accepts or rejects it. */
    QUEUED,
    /** The server stored it durably; it will be delivered. Removed from the outbox. */
    ACCEPTED,
    /** The server refused it for good ({@link Outgoing#rejectionCode()}); removed from the outbox, never resent. */
    REJECTED
}
