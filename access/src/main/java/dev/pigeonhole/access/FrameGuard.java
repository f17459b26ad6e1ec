package dev.pigeonhole.access;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.util.ReferenceCountUtil;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Sits between Netty's WebSocket decoding and Vert.x. On a protocol violation it sends the close frame the violation
 * names (its {@link CorruptedWebSocketFrameException#closeStatus()}) instead of letting Vert.x drop the connection,
 * then passes nothing more either way: later frames from the client are discarded (Netty's decoder discards the
 * bytes of an oversized frame itself), writes of the application are failed. The TCP connection closes when the
 * client answers with its close frame or after {@link #LINGER_MS}; reading meanwhile means the client's unsent
 * rest of a large frame does not turn the close into a reset that could destroy the close frame.
 *
 * <p>It also bounds every close the server starts: Vert.x times the client's answer only once the close frame is
 * written to the network, which never happens for a client that stopped reading (the frame waits behind its full
 * queue), so such a connection and its queue would stay. {@link #CLOSE_GRACE_MS} after the server's close frame is
 * handed on, the TCP connection is closed whatever the client did.
 */
final class FrameGuard extends ChannelDuplexHandler {
    static final long LINGER_MS = 2000;
    static final long CLOSE_GRACE_MS = 10_000;
    private static final int MAX_REASON_BYTES = 123;

    private boolean closing;

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!(cause instanceof CorruptedWebSocketFrameException violation)) {
            ctx.fireExceptionCaught(cause);
            return;
        }
        if (closing) {
            return;
        }
        closing = true;
        ctx.writeAndFlush(new CloseWebSocketFrame(violation.closeStatus().code(), reason(violation)));
        ctx.executor().schedule(() -> ctx.close(), LINGER_MS, TimeUnit.MILLISECONDS);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!closing) {
            ctx.fireChannelRead(msg);
            return;
        }
        boolean clientClosed = msg instanceof CloseWebSocketFrame;
        ReferenceCountUtil.release(msg);
        if (clientClosed) {
            ctx.close();
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!closing) {
            if (msg instanceof CloseWebSocketFrame) {
                ctx.executor().schedule(() -> ctx.close(), CLOSE_GRACE_MS, TimeUnit.MILLISECONDS);
            }
            ctx.write(msg, promise);
            return;
        }
        ReferenceCountUtil.release(msg);
        promise.tryFailure(new ClosedChannelException());
    }

    private static String reason(CorruptedWebSocketFrameException violation) {
        String reason = violation.getMessage() != null ? violation.getMessage() : violation.closeStatus().reasonText();
        while (reason.getBytes(StandardCharsets.UTF_8).length > MAX_REASON_BYTES) {
            reason = reason.substring(0, reason.length() - 1);
        }
        return reason;
    }
}
