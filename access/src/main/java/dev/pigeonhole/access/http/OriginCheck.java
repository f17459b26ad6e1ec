package dev.pigeonhole.access.http;

import dev.pigeonhole.access.AuthConfig;
import dev.pigeonhole.protocol.ErrorCode;
import dev.pigeonhole.protocol.Frames;
import dev.pigeonhole.protocol.ServerFrame;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.net.HostAndPort;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Lets browser pages in only from their own origin or those of {@code pigeonhole.auth.allowed-origins}. A browser
 * sends {@code Origin} on every WebSocket handshake and cross-origin request, and a WebSocket is not subject to
 * CORS: without this check any web page a developer opens could use a local server's dev identity
 * ({@code ?user=}) to read and send as anyone, and a plain form could {@code POST /v1/messages}. A request from
 * another origin gets 403 {@code forbidden} before it reaches an endpoint. Same-origin requests (the {@code Origin}
 * names the {@code Host} the request went to — also what Vert.x, Netty and other non-browser libraries send by
 * default) and requests without {@code Origin} (SDKs, the CLI, curl) pass: the check protects browsers' users,
 * authentication protects the server. {@code pigeonhole.auth.allowed-hosts} (host names), when set, refuses
 * a request to any other {@code Host}: on a loopback-only server that stops DNS rebinding (a foreign name pointed
 * at 127.0.0.1, whose pages are then "same-origin").
 */
@ApplicationScoped
public class OriginCheck {
    private final boolean any;
    private final Set<String> origins;
    private final Set<String> hosts;

    OriginCheck(AuthConfig auth) {
        List<String> listed = auth.allowedOrigins().orElse(List.of());
        this.any = listed.contains("*");
        this.origins = listed.stream().map(OriginCheck::normalize).collect(Collectors.toUnmodifiableSet());
        this.hosts = auth.allowedHosts().orElse(List.of()).stream().map(OriginCheck::normalize)
                .collect(Collectors.toUnmodifiableSet());
    }

    void routes(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE + 1).handler(this::check); // right after HttpGuard's first route
    }

    /** Null when the request may go on, else why not. */
    String refusal(String origin, String host) {
        if (!hosts.isEmpty() && (host == null || !hosts.contains(hostName(host)))) {
            return "host " + host + " is not allowed (pigeonhole.auth.allowed-hosts)";
        }
        if (origin == null || any || origins.contains(normalize(origin)) || sameOrigin(origin, host)) {
            return null;
        }
        return "origin " + origin + " is not allowed (pigeonhole.auth.allowed-origins)";
    }

    private void check(RoutingContext ctx) {
        HostAndPort authority = ctx.request().authority(); // Host, or HTTP/2's :authority (no Host header there)
        String host = authority == null ? null : authority.host() + (authority.port() >= 0 ? ":" + authority.port() : "");
        String refusal = refusal(ctx.request().getHeader(HttpHeaders.ORIGIN), host);
        if (refusal == null) {
            ctx.next();
            return;
        }
        ctx.response().setStatusCode(403).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .end(Frames.encode(new ServerFrame.Error(ErrorCode.FORBIDDEN, refusal)));
    }

    private static boolean sameOrigin(String origin, String host) {
        String o = normalize(origin);
        int scheme = o.indexOf("://");
        return host != null && scheme > 0 && o.substring(scheme + 3).equals(normalize(host));
    }

    /** The name of a {@code Host} header without its port ({@code [::1]} stays bracketed). */
    static String hostName(String host) {
        String h = normalize(host);
        int colon = h.lastIndexOf(':');
        return colon > h.lastIndexOf(']') ? h.substring(0, colon) : h;
    }

    /** As a browser sends it: lower case, no trailing slash. */
    static String normalize(String value) {
        String v = value.strip().toLowerCase(Locale.ROOT);
        return v.endsWith("/") ? v.substring(0, v.length() - 1) : v;
    }
}
