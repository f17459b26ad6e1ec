package dev.pigeonhole.client;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A message handed to {@link PigeonholeClient#send}: its id, recipient, body and current state. The state only
 * moves forward: {@code QUEUED → ACCEPTED} or {@code QUEUED → REJECTED}.
 */
public final class Outgoing {
    private final String id;
    private final String to;
    private final String body;
    private final CompletableFuture<Outgoing> queued = new CompletableFuture<>();
    private final CompletableFuture<Outgoing> settled = new CompletableFuture<>();
    private volatile SendState state = SendState.QUEUED;
    private volatile String rejectionCode;
    private volatile String rejectionMessage;

    Outgoing(String id, String to, String body) {
        this.id = id;
        this.to = to;
        this.body = body;
    }

    public String id() {
        return id;
    }

    public String to() {
        return to;
    }

    /** The body as JSON text (an object). */
    public String body() {
        return body;
    }

    /** The body's {@code text} field ({@link PigeonholeClient#sendText}), or null if it has none. */
    public String text() {
        return IncomingMessage.textOf(body);
    }

    public SendState state() {
        return state;
    }

    /** The server's error code when {@link SendState#REJECTED} (e.g. {@code too_large}), else null. */
    public String rejectionCode() {
        return rejectionCode;
    }

    public String rejectionMessage() {
        return rejectionMessage;
    }

    /**
     * Completes once the message is in the outbox (on disk with a data directory): from then on it survives a crash
     * and is resent, same id, by the next client on the data directory. {@link PigeonholeClient#send} returns before
     * that; wait for this before exiting. Completes exceptionally if the outbox could not be written (then
     * {@link #settled()} fails too and nothing is sent). Completed on the client's I/O thread: keep dependent actions
     * short or use the {@code *Async} variants.
     */
    public CompletionStage<Outgoing> queued() {
        return queued;
    }

    /**
     * Completes when the message is accepted or rejected; it may take as long as the device is offline. Completes
     * exceptionally with {@link ClientClosedException} if the client is closed first (the message stays queued in the
     * outbox for the next client on the data directory; {@link #state()} stays {@code QUEUED}).
     */
    public CompletionStage<Outgoing> settled() {
        return settled;
    }

    synchronized boolean accept() {
        if (state != SendState.QUEUED || settled.isDone()) {
            return false;
        }
        state = SendState.ACCEPTED;
        settled.complete(this);
        return true;
    }

    synchronized boolean reject(String code, String message) {
        if (state != SendState.QUEUED || settled.isDone()) {
            return false;
        }
        rejectionCode = code;
        rejectionMessage = message;
        state = SendState.REJECTED;
        settled.complete(this);
        return true;
    }

    void markQueued() {
        queued.complete(this);
    }

    /** The outbox write failed: nothing will be sent. */
    synchronized void notQueued(RuntimeException cause) {
        queued.completeExceptionally(cause);
        settled.completeExceptionally(cause);
    }

    /** The client closed before an answer. */
    synchronized void close(ClientClosedException cause) {
        queued.completeExceptionally(new ClientClosedException("client closed before the message was queued"));
        settled.completeExceptionally(cause);
    }

    @Override
    public String toString() {
        return "Outgoing[" + id + " to " + to + ": " + state + (rejectionCode == null ? "" : " " + rejectionCode) + "]";
    }
}
