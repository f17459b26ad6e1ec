package dev.pigeonhole.access.http;

import dev.pigeonhole.access.LimitsConfig;
import dev.pigeonhole.protocol.ErrorCode;
import dev.pigeonhole.protocol.Frames;
import dev.pigeonhole.protocol.ServerFrame;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.Channel;
import io.quarkus.vertx.http.HttpServerStart;
import io.quarkus.vertx.http.HttpsServerStart;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.impl.HttpServerImpl;
import io.vertx.core.impl.VertxInternal;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.core.net.impl.TCPServerBase;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.ObservesAsync;
import java.lang.reflect.Field;
import org.jboss.logging.Logger;

/**
 * HTTP-level hygiene of every Quarkus service that includes this module (and of the standalone, once for all):
 * <ul>
 *   <li>a {@link ConnectionGuard} on the public listening socket: a per-address connection cap and the request-head
 *       deadline ({@code pigeonhole.limits.connections-per-address}, {@code request-head-timeout});</li>
 *   <li>a first route that tells the connection's {@link HeadClock} when a head has arrived and its response ended;</li>
 *   <li>a first failure handler that answers client errors (4xx, notably a request without {@code Host}) itself:
 *       counted and logged at DEBUG instead of Quarkus's ERROR line with a stack trace.</li>
 * </ul>
 * Vert.x has no hook for a new connection before its first request, so the guard goes into the Netty pipeline of
 * the listening channel, which Vert.x keeps private: found by reflection, and startup fails loudly if that breaks
 * (a Vert.x upgrade), rather than running unguarded.
 */
@ApplicationScoped
public class HttpGuard {
    private static final Logger LOG = Logger.getLogger(HttpGuard.class);

    private final Vertx vertx;
    private final ClientErrors errors;
    private final ConnectionGuard guard;

    HttpGuard(Vertx vertx, MeterRegistry registry, LimitsConfig limits) {
        this.vertx = vertx;
        this.errors = new ClientErrors(registry);
        this.guard = new ConnectionGuard(limits.connectionsPerAddress(), limits.requestHeadTimeout().toNanos(), errors);
    }

    void routes(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE).handler(this::headReceived).failureHandler(this::failed);
    }

    void started(@ObservesAsync HttpServerStart start) {
        guard(start.options());
    }

    void started(@ObservesAsync HttpsServerStart start) {
        guard(start.options());
    }

    private void headReceived(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        clock(ctx);
        if (missingHost(request)) {
            refuse(ctx, 400, ClientErrors.Reason.MISSING_HOST);
            return;
        }
        ctx.next();
    }

    private void failed(RoutingContext ctx) {
        int status = ctx.statusCode();
        if (status < 400 || status > 499) {
            ctx.next();
            return;
        }
        clock(ctx); // a request vert.x-web refused on arrival (missing Host) never reached headReceived
        refuse(ctx, status, missingHost(ctx.request()) ? ClientErrors.Reason.MISSING_HOST : ClientErrors.Reason.BAD_REQUEST);
    }

    private void clock(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        if (!(request.connection() instanceof ConnectionBase connection)) {
            return;
        }
        HeadClock clock = HeadClock.of(connection.channel());
        if (clock == null) {
            return;
        }
        boolean last = request.version() == HttpVersion.HTTP_2
                || "websocket".equalsIgnoreCase(request.getHeader(HttpHeaders.UPGRADE));
        clock.headReceived(last);
        if (!last) {
            ctx.addEndHandler(done -> clock.responseEnded());
        }
    }

    private static boolean missingHost(HttpServerRequest request) {
        return request.version() != HttpVersion.HTTP_2 && request.getHeader(HttpHeaders.HOST) == null;
    }

    private void refuse(RoutingContext ctx, int status, ClientErrors.Reason reason) {
        errors.record(reason, ctx.request().remoteAddress());
        if (ctx.response().headWritten()) {
            ctx.request().connection().close();
            return;
        }
        ctx.response().setStatusCode(status);
        if (reason == ClientErrors.Reason.MISSING_HOST) {
            ctx.response().putHeader(HttpHeaders.CONNECTION, "close").putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                    .end(Frames.encode(new ServerFrame.Error(ErrorCode.INVALID_FIELD, "an HTTP/1.x request needs a Host header")))
                    .onComplete(sent -> ctx.request().connection().close());
        } else {
            ctx.response().end();
        }
    }

    @SuppressWarnings("unchecked")
    private void guard(HttpServerOptions options) {
        if (options.getPort() == 0) {
            LOG.warn("HTTP on a random port: no connection guard (connection cap, request-head timeout)");
            return;
        }
        try {
            Field bound = TCPServerBase.class.getDeclaredField("bindFuture");
            bound.setAccessible(true);
            for (HttpServerImpl server : ((VertxInternal) vertx).sharedHttpServers().values()) {
                if (server.actualPort() != options.getPort()) {
                    continue;
                }
                Channel listening = ((Future<Channel>) bound.get(server)).result();
                synchronized (this) {
                    if (listening.pipeline().get(ConnectionGuard.NAME) == null) {
                        listening.pipeline().addFirst(ConnectionGuard.NAME, guard);
                        LOG.debugf("connection guard on %s", listening.localAddress());
                    }
                }
                return;
            }
            throw new IllegalStateException("no listening HTTP server on port " + options.getPort());
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.errorf(e, "cannot guard the HTTP server on port %d (connection cap, request-head timeout): stopping",
                    options.getPort());
            io.quarkus.runtime.Quarkus.asyncExit(1);
        }
    }
}
