package dev.pigeonhole.client.internal;

/** Everything the client keeps locally, in one storage: the outbox, the local message store and the shadow outbox. */
public interface Store extends Outbox, InboxStore, ShadowOutbox {}
