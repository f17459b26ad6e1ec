package dev.pigeonhole.gateway.uploads;

import dev.pigeonhole.access.AuthException;
import dev.pigeonhole.access.Authenticator;
import dev.pigeonhole.blobs.BlobStore;
import dev.pigeonhole.blobs.ByteRange;
import dev.pigeonhole.protocol.ErrorCode;
import dev.pigeonhole.protocol.Frames;
import dev.pigeonhole.protocol.Identity;
import dev.pigeonhole.protocol.QueryParams;
import dev.pigeonhole.protocol.ServerFrame;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.InputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jboss.logging.Logger;

/**
 * {@code GET}/{@code HEAD /v1/blobs/{ref}}: the bytes are streamed from the store in 64 KiB buffers on a worker thread,
 * waiting while the connection's write queue is full, so memory does not grow with the blob or a slow reader.
 */
@ApplicationScoped
public class BlobsRoute {
    private static final Logger LOG = Logger.getLogger(BlobsRoute.class);
    private static final int BUFFER = 64 * 1024;

    private final BlobAccess blobs;
    private final Authenticator authenticator;
    private final Vertx vertx;
    private final long stallMillis;

    BlobsRoute(BlobAccess blobs, BlobsConfig config, Authenticator authenticator, Vertx vertx) {
        this.blobs = blobs;
        this.authenticator = authenticator;
        this.vertx = vertx;
        this.stallMillis = config.bodyIdleTimeout().toMillis();
    }

    void routes(@Observes Router router) {
        router.routeWithRegex("^" + Downloads.PATH + "/[^/]+$").order(UploadsRoute.ORDER).handler(this::handle);
    }

    private void handle(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        String ref = request.path().substring(Downloads.PATH.length() + 1);
        vertx.executeBlocking(() -> {
            serve(request, ref);
            return null;
        }, false).onFailure(t -> {
            LOG.warnf(t, "download %s failed", request.path());
            HttpServerResponse response = request.response();
            if (!response.headWritten()) {
                send(request, Reply.error(503, ErrorCode.UNAVAILABLE, "the blob store failed; try again"));
            } else {
                request.connection().close(); // mid-body: the client sees a short read and resumes with Range
            }
        });
    }

    private void serve(HttpServerRequest request, String ref) throws Exception {
        HttpMethod method = request.method();
        if (blobs.store().isEmpty()) {
            send(request, Reply.error(503, ErrorCode.UNAVAILABLE, "downloads are not available on this server"));
            return;
        }
        if (method != HttpMethod.GET && method != HttpMethod.HEAD) {
            send(request, Reply.error(405, ErrorCode.INVALID_FIELD, "method not allowed here").header("Allow", "GET, HEAD"));
            return;
        }
        Identity who;
        try {
            who = authenticator.authenticate(request.getHeader("Authorization"), QueryParams.parse(request.query()));
        } catch (AuthException e) {
            send(request, Reply.error(401, ErrorCode.UNAUTHORIZED, e.getMessage()).header("WWW-Authenticate", "Bearer"));
            return;
        }
        BlobStore store = blobs.store().get();
        Downloads.Download d = new Downloads(store).plan(who, ref, request.getHeader("Range"),
                request.getHeader("If-Range"), request.getHeader("If-None-Match"));
        if (!d.hasBody() || method == HttpMethod.HEAD) {
            send(request, d.reply());
            return;
        }
        HttpServerResponse response = request.response();
        response.setStatusCode(d.reply().status());
        d.reply().headers().forEach(response::putHeader);
        if (d.length() == 0) {
            response.end();
            return;
        }
        try (InputStream in = store.read(d.ref(), ByteRange.of(d.start(), d.start() + d.length() - 1))) {
            byte[] buf = new byte[BUFFER];
            int n;
            while ((n = in.read(buf)) > 0) {
                if (response.closed() || !writable(response)) {
                    request.connection().close();
                    return;
                }
                response.write(Buffer.buffer(n).appendBytes(buf, 0, n)); // one copy (Buffer.buffer(byte[]) copies too)
            }
        }
        response.end();
    }

    /** Waits while the write queue is full; false when the reader did not drain it within the stall timeout. */
    private boolean writable(HttpServerResponse response) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(stallMillis);
        while (response.writeQueueFull()) {
            if (response.closed() || System.nanoTime() > deadline) {
                return false;
            }
            CompletableFuture<Void> drained = new CompletableFuture<>();
            response.drainHandler(v -> drained.complete(null));
            try {
                drained.get(50, TimeUnit.MILLISECONDS); // polls too: a drain between the check and the handler is not lost
            } catch (TimeoutException ignored) {
                // check again
            }
        }
        return !response.closed();
    }

    private static void send(HttpServerRequest request, Reply reply) {
        HttpServerResponse response = request.response();
        if (response.closed() || response.ended()) {
            return;
        }
        response.setStatusCode(reply.status());
        reply.headers().forEach(response::putHeader);
        if (reply.code() != null && request.method() != HttpMethod.HEAD) {
            response.putHeader("Content-Type", "application/json");
            response.end(Frames.encode(new ServerFrame.Error(reply.code(), reply.message(), reply.retryAfterMs())));
        } else {
            response.end();
        }
    }
}
