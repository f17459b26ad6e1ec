package dev.pigeonhole.client.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pigeonhole.client.ClientClosedException;
import dev.pigeonhole.client.ShadowException;
import dev.pigeonhole.client.spi.ShadowOutbox;
import dev.pigeonhole.client.spi.ShadowUpdate;
import dev.pigeonhole.protocol.ErrorCode;
import dev.pigeonhole.protocol.Json;
import dev.pigeonhole.protocol.ServerFrame;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Predicate;

/**
 * Shadow requests on the inbox socket (docs/shadow.md): {@code shadow_get}, {@code shadow_update} and
 * {@code shadow_delete}, each with a fresh {@code clientToken}; the answers ({@code shadow_accepted},
 * {@code shadow_rejected}) are matched by that token.
 *
 * <p>Updates go through the {@link ShadowOutbox} (durable with SQLite) and are coalesced there while they wait. The
 * updates of one section of one shadow are sent in order, one at a time (the next once the previous is answered),
 * so a resend never overtakes a newer update. An update is removed when accepted or refused for good; a retryable
 * refusal ({@code unavailable}: the router did not answer, it may or may not have been applied) sends it again
 * after a delay (1 s doubling up to 30 s) with the same token, which the server deduplicates; so does a dropped
 * connection, on the next one.
 *
 * <p>{@code get} and {@code delete} are kept in memory only and wait while the socket is down. A {@code get} whose
 * connection drops before the answer is asked again on the next connection; a {@code delete} fails with
 * {@code unavailable} instead (it may or may not have been applied, and the server does not deduplicate deletes).
 *
 * <p>{@link #update}, {@link #get}, {@link #delete} and {@link #pendingUpdates} are thread-safe; everything else
 * runs on the client loop. Futures are completed through {@code completions}, never on the loop itself.
 */
public final class ShadowRequests {
    static final Duration RETRY_MIN = Duration.ofSeconds(1);
    static final Duration RETRY_MAX = Duration.ofSeconds(30);

    /** A server answer to a shadow request. */
    public record Answer(boolean accepted, String op, String thing, String name, String clientToken, JsonNode document,
                         String code, String message, Long version, boolean retryable) {

        public static Answer of(ServerFrame.ShadowAccepted a) {
            return new Answer(true, a.op(), a.thing(), a.name(), a.clientToken(), a.document(), null, null, null, false);
        }

        public static Answer of(ServerFrame.ShadowRejected r) {
            ErrorCode code = r.code();
            return new Answer(false, r.op(), r.thing(), r.name(), r.clientToken(), null,
                    code == null ? "internal" : code.wire(), r.message(), r.version(), code != null && code.retryable());
        }

        /**
         * A {@code shadow_rejected} the protocol library could not decode (a code newer than this client): refused
         * for good. Null if the text is not one.
         */
        public static Answer ofUnknown(String text) {
            JsonNode n;
            try {
                n = Json.MAPPER.readTree(text);
            } catch (Exception e) {
                return null;
            }
            if (n == null || !"shadow_rejected".equals(n.path("type").asText()) || !n.path("clientToken").isTextual()) {
                return null;
            }
            JsonNode v = n.get("version");
            return new Answer(false, n.path("op").asText(null), n.path("thing").asText(null), n.path("name").asText(""),
                    n.get("clientToken").textValue(), null, n.path("code").asText("unknown"),
                    n.path("message").asText(""), v != null && v.canConvertToLong() ? v.longValue() : null, false);
        }
    }

    private enum Op { GET, DELETE }

    private static final class Request {
        final Op op;
        final String thing;
        final String name;
        final Long version;
        final String token;
        final CompletableFuture<JsonNode> future;
        boolean sent;

        Request(Op op, String thing, String name, Long version, String token, CompletableFuture<JsonNode> future) {
            this.op = op;
            this.thing = thing;
            this.name = name;
            this.version = version;
            this.token = token;
            this.future = future;
        }
    }

    private final ShadowOutbox store;
    private final Timers timers;
    private final Executor loop;
    private final Executor completions;
    /** Guards {@link #updateFutures} together with the outbox rows they belong to (queue + register, remove + take). */
    private final Object lock = new Object();
    private final Map<Long, List<CompletableFuture<JsonNode>>> updateFutures = new HashMap<>();
    private volatile RuntimeException failure;
    private volatile boolean closed;

    // Loop-confined state.
    private Predicate<String> wire;
    private final Map<String, ShadowUpdate> inFlight = new HashMap<>();
    private final Set<String> inFlightKeys = new HashSet<>();
    private final Map<Long, Timers.Cancellable> retryWait = new HashMap<>();
    private final Map<Long, Integer> attempts = new HashMap<>();
    private final Map<String, Request> requests = new LinkedHashMap<>();

    /**
     * @param loop        the client loop (runs tasks one at a time, in order)
     * @param completions where futures are completed: not the loop, so that callers' dependent actions cannot
     *                    stall it
     */
    public ShadowRequests(ShadowOutbox store, Timers timers, Executor loop, Executor completions) {
        this.store = store;
        this.timers = timers;
        this.loop = loop;
        this.completions = completions;
    }

    /** A new client token: a prefix for the operation and a random UUID (printable ASCII, 38 characters). */
    static String token(String prefix) {
        return prefix + UUID.randomUUID();
    }

    /**
     * Stores the update in the outbox (coalesced with a waiting one where possible) before returning, and sends it
     * when the socket allows. The future completes with the document the server answers.
     *
     * @param section {@code desired} or {@code reported}
     * @param patch   canonical JSON of the section's patch: an object, or {@code null} to clear the section
     */
    public CompletableFuture<JsonNode> update(String thing, String name, String section, String patch, Long version) {
        if (closed) {
            throw new ClientClosedException("client closed");
        }
        CompletableFuture<JsonNode> future = new CompletableFuture<>();
        RuntimeException failed = failure;
        synchronized (lock) {
            ShadowUpdate row = store.queueShadowUpdate(thing, name, section, patch, version, System.currentTimeMillis(),
                    token("u-"));
            if (failed == null) {
                updateFutures.computeIfAbsent(row.position(), p -> new ArrayList<>()).add(future);
            }
        }
        if (failed != null) {
            future.completeExceptionally(failed);
            return future;
        }
        run(this::pump, future);
        return future;
    }

    /** Reads the shadow; waits (in memory) while the socket is down. */
    public CompletableFuture<JsonNode> get(String thing, String name) {
        return request(Op.GET, thing, name, null, "g-");
    }

    /** Deletes the shadow; waits (in memory) while the socket is down. The future completes with {@code {"thing","name","version","timestamp"}}. */
    public CompletableFuture<JsonNode> delete(String thing, String name, Long version) {
        return request(Op.DELETE, thing, name, version, "d-");
    }

    /** Updates stored in the outbox and not answered yet (also those of earlier runs). */
    public int pendingUpdates() {
        return store.pendingShadowUpdates().size();
    }

    private CompletableFuture<JsonNode> request(Op op, String thing, String name, Long version, String prefix) {
        CompletableFuture<JsonNode> future = new CompletableFuture<>();
        RuntimeException failed = failure;
        if (failed != null) {
            future.completeExceptionally(failed);
            return future;
        }
        run(() -> {
            if (failure != null) {
                future.completeExceptionally(failure);
                return;
            }
            Request r = new Request(op, thing, name, version, token(prefix), future);
            requests.put(r.token, r);
            pump();
        }, future);
        return future;
    }

    private void run(Runnable task, CompletableFuture<?> future) {
        try {
            loop.execute(task);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            future.completeExceptionally(new ClientClosedException("client closed"));
        }
    }

    /** The socket is up: send what waits. Loop only. */
    public void up(Predicate<String> wire) {
        this.wire = wire;
        retryWait.values().forEach(Timers.Cancellable::cancel);
        retryWait.clear();
        pump();
    }

    /**
     * The socket is down: nothing is in flight any more. Updates and gets are sent again on the next connection; a
     * delete that was sent fails with {@code unavailable}. Loop only.
     */
    public void down() {
        wire = null;
        inFlight.clear();
        inFlightKeys.clear();
        retryWait.values().forEach(Timers.Cancellable::cancel);
        retryWait.clear();
        for (Iterator<Request> it = requests.values().iterator(); it.hasNext(); ) {
            Request r = it.next();
            if (r.sent && r.op == Op.DELETE) {
                it.remove();
                fail(r.future, new ShadowException("unavailable", "the connection closed before the answer; the delete"
                        + " may or may not have been applied", "delete", r.thing, r.name, null));
            } else {
                r.sent = false;
            }
        }
    }

    /**
     * Nothing will be sent any more ({@code cause}: the client closed, or the server refused the connection for good):
     * fails every waiting future, and those of later requests. Updates stay in the outbox for a later client. Loop only.
     */
    public void fail(RuntimeException cause) {
        failure = cause;
        wire = null;
        retryWait.values().forEach(Timers.Cancellable::cancel);
        retryWait.clear();
        inFlight.clear();
        inFlightKeys.clear();
        for (Request r : requests.values()) {
            fail(r.future, cause);
        }
        requests.clear();
        List<CompletableFuture<JsonNode>> waiting = new ArrayList<>();
        synchronized (lock) {
            updateFutures.values().forEach(waiting::addAll);
            updateFutures.clear();
        }
        waiting.forEach(f -> fail(f, cause));
    }

    /** The client closes: as {@link #fail}, and later updates are refused at once (the outbox is closing). Loop only. */
    public void close() {
        closed = true;
        fail(new ClientClosedException("client closed (queued shadow updates stay in the outbox)"));
    }

    /** A {@code shadow_accepted} or {@code shadow_rejected} arrived. Loop only. */
    public void answer(Answer a) {
        String token = a.clientToken();
        if (token == null) {
            return; // not ours: every request carries a token
        }
        ShadowUpdate u = inFlight.remove(token);
        if (u != null) {
            inFlightKeys.remove(u.key());
            if (a.accepted() || !a.retryable()) {
                List<CompletableFuture<JsonNode>> futures;
                synchronized (lock) {
                    store.removeShadowUpdate(u.position());
                    futures = updateFutures.remove(u.position());
                }
                attempts.remove(u.position());
                if (futures != null) {
                    for (CompletableFuture<JsonNode> f : futures) {
                        settle(f, a);
                    }
                }
            } else {
                int n = attempts.merge(u.position(), 1, Integer::sum);
                long delay = Math.min(RETRY_MAX.toMillis(), RETRY_MIN.toMillis() << Math.min(n - 1, 10));
                long position = u.position();
                retryWait.put(position, timers.schedule(() -> {
                    retryWait.remove(position);
                    pump();
                }, Duration.ofMillis(delay)));
            }
        } else {
            Request r = requests.remove(token);
            if (r != null) {
                settle(r.future, a);
            }
        }
        pump();
    }

    private void settle(CompletableFuture<JsonNode> f, Answer a) {
        if (a.accepted()) {
            JsonNode doc = a.document() == null ? Json.MAPPER.nullNode() : a.document();
            completions.execute(() -> f.complete(doc));
        } else {
            fail(f, new ShadowException(a.code(), a.message() == null ? "" : a.message(), a.op(), a.thing(), a.name(),
                    a.version()));
        }
    }

    private void fail(CompletableFuture<?> f, RuntimeException e) {
        completions.execute(() -> f.completeExceptionally(e));
    }

    /** Sends what may go now. Loop only. */
    private void pump() {
        if (wire == null) {
            return;
        }
        Set<String> blocked = new HashSet<>(inFlightKeys);
        for (ShadowUpdate u : store.pendingShadowUpdates()) {
            // one at a time per section of a shadow, in order: later rows of a busy key wait
            if (!blocked.add(u.key()) || retryWait.containsKey(u.position())) {
                continue;
            }
            ShadowUpdate claimed = store.claimShadowUpdate(u.position());
            if (claimed == null) {
                continue;
            }
            if (!wire.test(updateFrame(claimed))) {
                return;
            }
            inFlight.put(claimed.clientToken(), claimed);
            inFlightKeys.add(claimed.key());
        }
        for (Request r : requests.values()) {
            if (!r.sent) {
                if (!wire.test(requestFrame(r))) {
                    return;
                }
                r.sent = true;
            }
        }
    }

    static String updateFrame(ShadowUpdate u) {
        ObjectNode f = Json.MAPPER.createObjectNode();
        f.put("type", "shadow_update").put("thing", u.thing()).put("name", u.name()).put("clientToken", u.clientToken());
        if (u.version() != null) {
            f.put("version", u.version());
        }
        f.putObject("state").set(u.section(), ShadowPatch.parse(u.patch()));
        return Json.write(f);
    }

    private static String requestFrame(Request r) {
        ObjectNode f = Json.MAPPER.createObjectNode();
        f.put("type", r.op == Op.GET ? "shadow_get" : "shadow_delete").put("thing", r.thing).put("name", r.name)
                .put("clientToken", r.token);
        if (r.version != null) {
            f.put("version", r.version);
        }
        return Json.write(f);
    }
}
