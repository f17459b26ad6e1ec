package dev.pigeonhole.access.http;

import dev.pigeonhole.access.AuthConfig;
import dev.pigeonhole.protocol.ErrorCode;
import dev.pigeonhole.protocol.Frames;
import dev.pigeonhole.protocol.ServerFrame;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Lets browser pages in only from the origins of {@code pigeonhole.auth.allowed-origins}. A browser sends
 * {@code Origin} on every WebSocket handshake and on cross-origin requests, and a WebSocket is not subject to CORS:
 * without this check any web page a developer opens could use a local server's dev identity ({@code ?user=}) to
 * read and send as anyone, and a plain form could {@code POST /v1/messages}. A request from another origin gets
 * 403 {@code forbidden} before it reaches an endpoint; a request without {@code Origin} (SDKs, the CLI, curl,
 * same-origin GETs) is not affected — the check protects browsers' users, authentication protects the server.
 */
@ApplicationScoped
public class OriginCheck {
    private final boolean any;
    private final Set<String> allowed;

    OriginCheck(AuthConfig auth) {
        List<String> origins = auth.allowedOrigins().orElse(List.of());
        this.any = origins.contains("*");
        this.allowed = origins.stream().map(OriginCheck::normalize).collect(Collectors.toUnmodifiableSet());
    }

    void routes(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE + 1).handler(this::check); // right after HttpGuard's first route
    }

    boolean allows(String origin) {
        return origin == null || any || allowed.contains(normalize(origin));
    }

    private void check(RoutingContext ctx) {
        String origin = ctx.request().getHeader(HttpHeaders.ORIGIN);
        if (allows(origin)) {
            ctx.next();
            return;
        }
        ctx.response().setStatusCode(403).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .end(Frames.encode(new ServerFrame.Error(ErrorCode.FORBIDDEN,
                        "origin " + origin + " is not allowed (pigeonhole.auth.allowed-origins)")));
    }

    /** Scheme, host and port as a browser sends them: lower case, no trailing slash. */
    static String normalize(String origin) {
        String o = origin.strip().toLowerCase(Locale.ROOT);
        return o.endsWith("/") ? o.substring(0, o.length() - 1) : o;
    }
}
