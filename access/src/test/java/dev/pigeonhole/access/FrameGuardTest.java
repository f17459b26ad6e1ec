package dev.pigeonhole.access;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class FrameGuardTest {
    private final List<Object> delivered = new ArrayList<>();
    private final List<Throwable> failures = new ArrayList<>();
    private final EmbeddedChannel channel = new EmbeddedChannel(new FrameGuard(), new ChannelInboundHandlerAdapter() {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            delivered.add(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            failures.add(cause);
        }
    });

    @Test
    void aViolationSendsItsCloseCodeAndNothingPassesAfterIt() {
        channel.writeInbound(new TextWebSocketFrame("before"));
        channel.pipeline().fireExceptionCaught(
                new CorruptedWebSocketFrameException(WebSocketCloseStatus.MESSAGE_TOO_BIG, "Max frame length of 10 has been exceeded."));

        CloseWebSocketFrame close = channel.readOutbound();
        assertThat(close.statusCode()).isEqualTo(1009);
        assertThat(close.reasonText()).isEqualTo("Max frame length of 10 has been exceeded.");
        assertThat(failures).isEmpty(); // Vert.x never sees it, so it does not drop the connection

        channel.writeInbound(new TextWebSocketFrame("after"));
        assertThat(delivered).extracting(f -> ((TextWebSocketFrame) f).text()).containsExactly("before");
        assertThat(channel.writeAndFlush(new TextWebSocketFrame("late reply")).isSuccess()).isFalse();
        assertThat((Object) channel.readOutbound()).isNull();
        assertThat(channel.isOpen()).isTrue();

        channel.writeInbound(new CloseWebSocketFrame(1000, "bye")); // the client answers the close
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void aClientThatDoesNotAnswerIsClosedAfterTheLinger() throws Exception {
        channel.freezeTime();
        channel.pipeline().fireExceptionCaught(
                new CorruptedWebSocketFrameException(WebSocketCloseStatus.PROTOCOL_ERROR, "RSV != 0 and no extension negotiated, RSV:4"));
        assertThat(((CloseWebSocketFrame) channel.readOutbound()).statusCode()).isEqualTo(1002);
        channel.advanceTimeBy(FrameGuard.LINGER_MS - 1, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertThat(channel.isOpen()).isTrue();
        channel.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void aCloseTheServerStartsEndsTheConnectionEvenIfTheClientNeverReadsIt() {
        channel.freezeTime();
        channel.writeAndFlush(new CloseWebSocketFrame(4003, "client does not read"));
        assertThat(((CloseWebSocketFrame) channel.readOutbound()).statusCode()).isEqualTo(4003);
        channel.advanceTimeBy(FrameGuard.CLOSE_GRACE_MS - 1, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertThat(channel.isOpen()).as("time for the client to answer").isTrue();
        channel.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void otherErrorsPassThrough() {
        IllegalStateException other = new IllegalStateException("not a frame error");
        channel.pipeline().fireExceptionCaught(other);
        assertThat(failures).containsExactly(other);
        assertThat((Object) channel.readOutbound()).isNull();
    }
}
