package dev.pigeonhole.gateway.uploads;

import dev.pigeonhole.access.AuthException;
import dev.pigeonhole.access.Authenticator;
import dev.pigeonhole.access.SendLimiter;
import dev.pigeonhole.blobs.BlobStore;
import dev.pigeonhole.protocol.ErrorCode;
import dev.pigeonhole.protocol.Frames;
import dev.pigeonhole.protocol.Identity;
import dev.pigeonhole.protocol.QueryParams;
import dev.pigeonhole.protocol.ServerFrame;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * {@code /v1/uploads} on the HTTP router, ahead of Quarkus's body-size limit (route order -2): a {@code PATCH} body
 * is streamed to the store ({@link BodyStream}), never buffered whole, so it may be any size up to the upload's
 * length. Requests run on a worker thread (the store blocks). Everything else is {@link Uploads}.
 */
@ApplicationScoped
public class UploadsRoute {
    private static final Logger LOG = Logger.getLogger(UploadsRoute.class);
    /** Before {@code RouteConstants.ROUTE_ORDER_UPLOAD_LIMIT} (-2), after the access module's guard. */
    static final int ORDER = -10;

    private final Uploads uploads;
    private final Authenticator authenticator;
    private final Vertx vertx;
    private final long idleNanos;

    UploadsRoute(Instance<BlobStore> stores, BlobsConfig config, Authenticator authenticator, SendLimiter limiter,
                 Vertx vertx) {
        Uploads ready = null;
        try {
            ready = new Uploads(stores.get(), config.maxBlobBytes(), config.maxOpenUploadsPerUser(),
                    config.quotaBytesPerUser(), user -> limiter.takeForUser(user, 1), config.uploadTimeout(),
                    java.time.Clock.systemUTC());
        } catch (RuntimeException e) {
            // e.g. the fs store on a read-only filesystem: messaging must not stop for it
            LOG.errorf(e, "uploads are off: the blob store (pigeonhole.blobs.*) cannot be opened");
        }
        this.uploads = ready;
        this.authenticator = authenticator;
        this.vertx = vertx;
        this.idleNanos = config.bodyIdleTimeout().toNanos();
    }

    void routes(@Observes Router router) {
        router.routeWithRegex("^" + Uploads.PATH + "(/[^/]*)?$").order(ORDER).handler(this::handle);
    }

    private void handle(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        request.pause();
        String path = request.path();
        String id = path.length() > Uploads.PATH.length() ? path.substring(Uploads.PATH.length() + 1) : null;
        vertx.executeBlocking(() -> {
            serve(request, id);
            return null;
        }, false).onFailure(t -> {
            LOG.warnf(t, "upload request %s %s failed", request.method(), path);
            send(request, Reply.error(503, ErrorCode.UNAVAILABLE, "the blob store failed; try again"), null);
        });
    }

    private void serve(HttpServerRequest request, String id) throws Exception {
        HttpMethod method = request.method();
        if (uploads == null) {
            send(request, Reply.error(503, ErrorCode.UNAVAILABLE, "uploads are not available on this server"), null);
            return;
        }
        if (method == HttpMethod.OPTIONS) {
            send(request, uploads.options(), null);
            return;
        }
        String version = request.getHeader("Tus-Resumable");
        if (version != null && !version.equals(TusHeaders.VERSION)) {
            send(request, Reply.error(412, ErrorCode.INVALID_FIELD, "this server speaks tus " + TusHeaders.VERSION)
                    .header("Tus-Version", TusHeaders.VERSION), null);
            return;
        }
        Identity who;
        try {
            Map<String, String> query = QueryParams.parse(request.query());
            who = authenticator.authenticate(request.getHeader("Authorization"), query);
        } catch (AuthException e) {
            send(request, Reply.error(401, ErrorCode.UNAUTHORIZED, e.getMessage()).header("WWW-Authenticate", "Bearer"),
                    null);
            return;
        }
        long contentLength = contentLength(request);
        if (id == null) {
            send(request, method == HttpMethod.POST
                    ? uploads.create(who, request.getHeader("Upload-Length"), request.getHeader("Upload-Metadata"), contentLength)
                    : notAllowed("POST, OPTIONS"), null);
            return;
        }
        if (method == HttpMethod.HEAD) {
            send(request, uploads.head(who, id), null);
        } else if (method == HttpMethod.DELETE) {
            send(request, uploads.delete(who, id), null);
        } else if (method == HttpMethod.PATCH) {
            BodyStream body = new BodyStream(request, idleNanos);
            Reply reply;
            try {
                reply = uploads.patch(who, id, request.getHeader("Content-Type"), request.getHeader("Upload-Offset"),
                        contentLength, body);
            } catch (java.io.IOException e) {
                if (body.failed()) {
                    // the client went away or stalled: what arrived is kept, it resumes after a HEAD
                    request.connection().close();
                    return;
                }
                throw e; // the store failed: 503
            }
            send(request, reply, body);
        } else {
            send(request, notAllowed("HEAD, PATCH, DELETE"), null);
        }
    }

    private static Reply notAllowed(String allowed) {
        return Reply.error(405, ErrorCode.INVALID_FIELD, "method not allowed here").header("Allow", allowed);
    }

    private static long contentLength(HttpServerRequest request) {
        String value = request.getHeader("Content-Length");
        try {
            return value == null ? -1 : Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** A request that came with a body (which no answer but a {@code PATCH}'s reads). */
    private static boolean hasBody(HttpServerRequest request) {
        String encoding = request.getHeader("Transfer-Encoding");
        return contentLength(request) > 0 || (encoding != null && encoding.toLowerCase().contains("chunked"));
    }

    /** Writes the reply; when the body was not read to its end the connection is closed after it. */
    private static void send(HttpServerRequest request, Reply reply, BodyStream body) {
        HttpServerResponse response = request.response();
        if (response.closed() || response.ended()) {
            return;
        }
        boolean unread = body != null ? !body.complete() : hasBody(request);
        response.setStatusCode(reply.status()).putHeader("Tus-Resumable", TusHeaders.VERSION);
        reply.headers().forEach(response::putHeader);
        if (unread) {
            response.putHeader("Connection", "close");
            response.endHandler(v -> request.connection().close());
        }
        if (reply.code() != null && request.method() != HttpMethod.HEAD) {
            response.putHeader("Content-Type", "application/json");
            response.end(Frames.encode(new ServerFrame.Error(reply.code(), reply.message(), reply.retryAfterMs())));
        } else {
            response.end();
        }
    }
}
