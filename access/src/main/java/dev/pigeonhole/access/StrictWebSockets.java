package dev.pigeonhole.access;

import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.websocketx.Utf8FrameValidator;
import io.quarkus.vertx.http.HttpServerOptionsCustomizer;
import io.quarkus.vertx.http.runtime.filters.Filters;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Holds WebSocket clients to RFC 6455 and tells them why when they break it. Vert.x 4 builds Netty's frame decoder
 * with {@code closeOnProtocolViolation(false)} and closes the TCP connection on any decoder error, so a frame over
 * {@code max-frame-size}, reserved bits or a bad opcode ended without a close frame (the client saw 1006 and could
 * not tell "do not resend" from a network failure). Here:
 * <ul>
 *   <li>no extension is offered (per-frame and per-message deflate off), so Netty's decoder refuses any RSV bit;
 *       it also removes inflation bombs, which the transport limits would only see after inflating;</li>
 *   <li>text frames are checked for UTF-8 (Netty's {@link Utf8FrameValidator}, which Vert.x does not install);</li>
 *   <li>{@link FrameGuard} turns each violation into the close frame RFC 6455 names (1002, 1007, 1009).</li>
 * </ul>
 * The handlers go into the pipeline of every connection that asks for a WebSocket upgrade, before Vert.x's own
 * handler, which relies on Vert.x 4 internals ({@link ConnectionBase#channel()}, the handler name "handler");
 * {@code ProtocolPrecisionIT} checks the close codes on the real stack.
 */
@ApplicationScoped
public class StrictWebSockets implements HttpServerOptionsCustomizer {
    private static final String VERTX_HANDLER = "handler";

    void register(@Observes Filters filters) {
        filters.register(StrictWebSockets::install, 1000);
    }

    @Override
    public void customizeHttpServer(HttpServerOptions options) {
        noExtensions(options);
    }

    @Override
    public void customizeHttpsServer(HttpServerOptions options) {
        noExtensions(options);
    }

    private static void noExtensions(HttpServerOptions options) {
        options.setPerFrameWebSocketCompressionSupported(false).setPerMessageWebSocketCompressionSupported(false);
    }

    private static void install(RoutingContext context) {
        if ("websocket".equalsIgnoreCase(context.request().getHeader(HttpHeaders.UPGRADE))
                && context.request().connection() instanceof ConnectionBase connection) {
            ChannelPipeline pipeline = connection.channel().pipeline();
            if (pipeline.get(FrameGuard.class) == null && pipeline.get(VERTX_HANDLER) != null) {
                pipeline.addBefore(VERTX_HANDLER, null, new Utf8FrameValidator(false));
                pipeline.addBefore(VERTX_HANDLER, null, new FrameGuard());
            }
        }
        context.next();
    }
}
