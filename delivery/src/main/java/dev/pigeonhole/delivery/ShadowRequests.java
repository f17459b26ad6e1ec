package dev.pigeonhole.delivery;

import dev.pigeonhole.protocol.ClientFrame;
import dev.pigeonhole.protocol.ErrorCode;
import dev.pigeonhole.protocol.Frames;
import dev.pigeonhole.protocol.Identity;
import dev.pigeonhole.protocol.ServerFrame;
import dev.pigeonhole.records.InboxOp;
import dev.pigeonhole.records.Push;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Shadow requests of this instance waiting for the router's answer (docs/shadow.md): each is written to the owner's
 * operation log with a request id and this instance's id; the router answers with a {@link Push.ShadowAnswer} on
 * this instance's push partition. A request without an answer in {@link #TIMEOUT} is answered {@code unavailable}
 * (it may still be applied: a resend with the same {@code clientToken} is not applied twice). Every request costs
 * one token of the user's send budget ({@code rate_limited} beyond it), as a send does: an update makes entries.
 */
final class ShadowRequests {
    static final Duration TIMEOUT = Duration.ofSeconds(10);
    /** Requests waiting at once on this instance, at most: beyond, refused {@code unavailable} at once. */
    static final int MAX_PENDING = 10_000;

    private final Map<String, CompletableFuture<String>> pending = new ConcurrentHashMap<>();
    private final String instanceId;
    private final Log log;
    private final ScheduledExecutorService timers;
    private final java.util.function.ToLongFunction<String> budget;

    /** Writes an operation to the log, keyed by user, without blocking; {@code onError} if Kafka refuses it. */
    interface Log {
        void write(String user, InboxOp op, java.util.function.Consumer<Exception> onError);
    }

    /** @param budget takes one token of the user's send budget: 0 when granted, else the ms to wait */
    ShadowRequests(String instanceId, Log log, ScheduledExecutorService timers,
                   java.util.function.ToLongFunction<String> budget) {
        this.budget = budget;
        this.instanceId = instanceId;
        this.log = log;
        this.timers = timers;
    }

    /** The answer frame's JSON text ({@code shadow_accepted} or {@code shadow_rejected}). */
    CompletionStage<String> request(Identity caller, ClientFrame.Shadow f) {
        if (f.owner() != null && !f.owner().equals(caller.user())) {
            return done(rejected(f, ErrorCode.FORBIDDEN, "a user only addresses their own things"));
        }
        long wait = budget.applyAsLong(caller.user());
        if (wait > 0) {
            return done(Frames.encode(new ServerFrame.ShadowRejected(f.op().wire(), f.thing(), f.name(), f.clientToken(),
                    ErrorCode.RATE_LIMITED, "too many requests; retry in " + wait + " ms", null, wait)));
        }
        if (pending.size() >= MAX_PENDING) {
            return done(rejected(f, ErrorCode.UNAVAILABLE, "too many shadow requests waiting; retry shortly"));
        }
        String request = UUID.randomUUID().toString();
        CompletableFuture<String> answer = new CompletableFuture<>();
        pending.put(request, answer);
        byte[] state = f.state() == null ? null : f.state().toString().getBytes(StandardCharsets.UTF_8);
        try {
            log.write(caller.user(), new InboxOp.Shadow(caller.device(), instanceId, request, f.op(), f.thing(), f.name(),
                    f.clientToken(), f.version(), state), error -> failed(request, f));
        } catch (RuntimeException e) {
            pending.remove(request);
            return done(rejected(f, ErrorCode.UNAVAILABLE, "could not write the request; retry"));
        }
        timers.schedule(() -> {
            CompletableFuture<String> late = pending.remove(request);
            if (late != null) {
                late.complete(rejected(f, ErrorCode.UNAVAILABLE, "no answer within " + TIMEOUT.toSeconds()
                        + " s; the request may have been applied: resend it with the same clientToken"));
            }
        }, TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        return answer;
    }

    /** The router's answer to a request of this instance (the first one counts: a replay may repeat it). */
    void answer(Push.ShadowAnswer a) {
        CompletableFuture<String> f = pending.remove(a.request());
        if (f != null) {
            f.complete(a.frame());
        }
    }

    /** A write to Kafka failed: the request is answered now. */
    private void failed(String request, ClientFrame.Shadow f) {
        CompletableFuture<String> future = pending.remove(request);
        if (future != null) {
            future.complete(rejected(f, ErrorCode.UNAVAILABLE, "could not write the request; retry"));
        }
    }

    int pending() {
        return pending.size();
    }

    static String rejected(ClientFrame.Shadow f, ErrorCode code, String message) {
        return Frames.encode(new ServerFrame.ShadowRejected(f.op().wire(), f.thing(), f.name(), f.clientToken(), code,
                message, null));
    }

    private static CompletionStage<String> done(String frame) {
        return CompletableFuture.completedFuture(frame);
    }
}
