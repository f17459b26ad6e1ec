package dev.pigeonhole.access.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The request-head deadline of one connection: the head of a request must be complete within the timeout of the
 * connection opening, or of the first byte after the previous response. It stops timing once the connection
 * becomes a WebSocket or speaks HTTP/2 (their own liveness rules apply). The first handler of the connection's
 * pipeline, so it sees every byte before any decoder; it learns that a head is complete from {@link HttpGuard}.
 * All state is touched on the connection's event loop only.
 */
final class HeadClock extends ChannelInboundHandlerAdapter {
    static final String NAME = "pigeonhole-head-clock";
    private static final AttributeKey<HeadClock> KEY = AttributeKey.valueOf(NAME);

    private enum State { HEAD, REQUEST, IDLE, DONE }

    private final long timeoutNanos;
    private final ClientErrors errors;
    private ChannelHandlerContext ctx;
    private State state = State.HEAD;
    private ScheduledFuture<?> deadline;

    private HeadClock(long timeoutNanos, ClientErrors errors) {
        this.timeoutNanos = timeoutNanos;
        this.errors = errors;
    }

    /** Puts a clock first in the (not yet registered) connection's pipeline. */
    static void attach(Channel connection, long timeoutNanos, ClientErrors errors) {
        HeadClock clock = new HeadClock(timeoutNanos, errors);
        connection.attr(KEY).set(clock);
        connection.pipeline().addFirst(NAME, clock);
    }

    /** The clock of a connection, or null when the connection is not guarded. */
    static HeadClock of(Channel connection) {
        return connection.attr(KEY).get();
    }

    /** A request head arrived; {@code last}: no further head will be timed (WebSocket upgrade, HTTP/2). */
    void headReceived(boolean last) {
        onLoop(() -> {
            cancel();
            state = last ? State.DONE : State.REQUEST;
        });
    }

    /** The response to the current request ended: the connection waits for the next request. */
    void responseEnded() {
        onLoop(() -> {
            if (state == State.REQUEST) {
                state = State.IDLE;
            }
        });
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        arm();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (state == State.IDLE) {
            arm();
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancel();
        state = State.DONE;
        ctx.fireChannelInactive();
    }

    private void arm() {
        state = State.HEAD;
        cancel();
        deadline = ctx.executor().schedule(() -> {
            if (state == State.HEAD && ctx.channel().isActive()) {
                errors.record(ClientErrors.Reason.REQUEST_HEAD_TIMEOUT, ctx.channel().remoteAddress());
                ctx.close();
            }
        }, timeoutNanos, TimeUnit.NANOSECONDS);
    }

    private void cancel() {
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
    }

    private void onLoop(Runnable r) {
        if (ctx.executor().inEventLoop()) {
            r.run();
        } else {
            ctx.executor().execute(r);
        }
    }
}
