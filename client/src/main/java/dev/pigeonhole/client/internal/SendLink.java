package dev.pigeonhole.client.internal;

import dev.pigeonhole.client.spi.Outbox;
import dev.pigeonhole.client.spi.OutboxMessage;
import dev.pigeonhole.client.spi.Transport;
import dev.pigeonhole.protocol.CloseCode;
import dev.pigeonhole.protocol.ErrorCode;
import dev.pigeonhole.protocol.ServerFrame;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;

/**
 * The send socket: opened when the outbox has work, closed after {@code idleTimeout} without any. Sends queued
 * messages in outbox order, up to {@code maxInFlight} awaiting an answer; removes a message from the outbox only
 * on {@code accepted}; resends everything unanswered, in order and with the same ids, after a reconnect.
 */
public final class SendLink extends Link {
    /** What the server answered, for the client to surface. Called on the client loop. */
    public interface Results {
        void accepted(String id);

        void rejected(String id, String code, String message);

        void refused(int closeCode, String reason);
    }

    private static final Duration DELETE_BATCH = Duration.ofMillis(50);

    private final URI uri;
    private final String token;
    private final Outbox outbox;
    private final Results results;
    private final int maxInFlight;
    private final Duration idleTimeout;
    /** Messages not yet accepted or rejected, in outbox order. */
    private final Map<String, OutboxMessage> queue = new LinkedHashMap<>();
    private final Set<String> inFlight = new HashSet<>();
    /** The attachments JSON of queued messages that have some. */
    private final Map<String, String> attachments = new java.util.HashMap<>();
    private final List<String> acceptedNotDeleted = new ArrayList<>();
    private Timers.Cancellable idleTimer;
    private Timers.Cancellable deleteTimer;
    private Timers.Cancellable pause;
    private boolean draining;
    private boolean refused;

    public SendLink(Transport transport, Executor loop, Timers timers, Duration connectTimeout, Duration pingInterval,
                    Backoff backoff, URI base, String user, String device, String token, Outbox outbox,
                    Results results, int maxInFlight, Duration idleTimeout) {
        super(transport, loop, timers, connectTimeout, pingInterval, backoff);
        String query = InboxLink.identityQuery(user, device, token);
        this.uri = URI.create(base + "/v1/send" + (query.isEmpty() ? "" : "?" + query.substring(0, query.length() - 1)));
        this.token = token;
        this.outbox = outbox;
        this.results = results;
        this.maxInFlight = maxInFlight;
        this.idleTimeout = idleTimeout;
    }

    /** Queues a message already stored in the outbox and makes sure it goes out. */
    public void enqueue(OutboxMessage message) {
        enqueue(message, null);
    }

    /** Like {@link #enqueue(OutboxMessage)}, with the {@code attachments} JSON array of its finished uploads. */
    public void enqueue(OutboxMessage message, String attachments) {
        if (attachments != null) {
            this.attachments.put(message.id(), attachments);
        }
        queue.putIfAbsent(message.id(), message);
        kick();
    }

    /** Messages waiting for an answer. */
    public int queued() {
        return queue.size();
    }

    public boolean connected() {
        return isUp();
    }

    public void close() {
        deleteAccepted();
        stop();
    }

    private void kick() {
        if (stopped() || refused || queue.isEmpty()) {
            return;
        }
        cancelIdle();
        if (isUp()) {
            pump();
        } else if (!isConnectingOrUp()) {
            connect();
        }
    }

    /**
     * Rate limited: wait the announced time and for the answers to everything still in flight (the server refuses
     * all of it until the refused message comes back), then resend from the oldest unanswered message, in order.
     */
    private void pauseFor(Duration wait) {
        draining = true;
        if (pause == null) {
            pause = timers.schedule(() -> {
                pause = null;
                if (isUp()) {
                    pump();
                }
            }, wait);
        }
    }

    private void pump() {
        if (pause != null) {
            return;
        }
        if (draining) {
            if (!inFlight.isEmpty()) {
                return;
            }
            draining = false;
        }
        for (OutboxMessage m : queue.values()) {
            if (inFlight.size() >= maxInFlight) {
                return;
            }
            if (inFlight.add(m.id())) {
                String a = attachments.get(m.id());
                sendText("{\"type\":\"send\",\"id\":\"" + m.id() + "\",\"to\":\"" + m.to() + "\",\"body\":" + m.body()
                        + (a == null ? "" : ",\"attachments\":" + a) + "}");
            }
        }
    }

    @Override
    URI uri() {
        return uri;
    }

    @Override
    String bearer() {
        return token;
    }

    @Override
    void onConnecting() {
    }

    @Override
    void onUp() {
        pump();
        idleIfEmpty();
    }

    @Override
    void onFrame(ServerFrame frame) {
        if (frame instanceof ServerFrame.Accepted a) {
            backoff.reset();
            inFlight.remove(a.id());
            if (queue.remove(a.id()) != null) {
                attachments.remove(a.id());
                acceptedNotDeleted.add(a.id());
                if (deleteTimer == null) {
                    deleteTimer = timers.schedule(this::deleteAccepted, DELETE_BATCH);
                }
                results.accepted(a.id());
            }
            pump();
            idleIfEmpty();
        } else if (frame instanceof ServerFrame.Rejected r) {
            inFlight.remove(r.id());
            if (r.code() == ErrorCode.RATE_LIMITED) {
                pauseFor(Duration.ofMillis(r.retryAfterMs() == null ? 1000 : r.retryAfterMs()));
                pump();
                return;
            }
            if (r.retryable()) {
                // Nothing stored for sure: reconnect and resend everything unanswered, in order.
                drop("retryable rejection " + r.code().wire());
                return;
            }
            if (queue.remove(r.id()) != null) {
                attachments.remove(r.id());
                outbox.remove(r.id());
                results.rejected(r.id(), r.code().wire(), r.message());
            }
            pump();
            idleIfEmpty();
        }
    }

    @Override
    void onDown(int code, String reason) {
        inFlight.clear();
        draining = false;
        if (!CloseCode.reconnectAllowed(code)) {
            refused = true;
            results.refused(code, reason);
            return;
        }
        if (!queue.isEmpty()) {
            scheduleReconnect();
        }
    }

    /**
     * Deletes accepted messages from the outbox in one batch. Losing a delete in a crash only means a resend that
     * the server deduplicates, so these are not written one transaction per message.
     */
    private void deleteAccepted() {
        deleteTimer = null;
        outbox.removeAll(acceptedNotDeleted);
        acceptedNotDeleted.clear();
    }

    private void idleIfEmpty() {
        if (queue.isEmpty() && idleTimer == null) {
            idleTimer = timers.schedule(() -> {
                idleTimer = null;
                if (queue.isEmpty()) {
                    closeQuietly();
                }
            }, idleTimeout);
        }
    }

    private void cancelIdle() {
        if (idleTimer != null) {
            idleTimer.cancel();
            idleTimer = null;
        }
    }
}
