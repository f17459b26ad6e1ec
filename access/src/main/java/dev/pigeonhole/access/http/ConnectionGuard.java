package dev.pigeonhole.access.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The first handler of the listening socket: it sees every accepted connection before Vert.x sets it up. It
 * refuses a connection from a peer address that already has {@code perAddress} open (closed at once, before any
 * byte is read; 0 turns the cap off) and gives every other one a {@link HeadClock}.
 */
@ChannelHandler.Sharable
final class ConnectionGuard extends ChannelInboundHandlerAdapter {
    static final String NAME = "pigeonhole-connection-guard";

    private final int perAddress;
    private final long headTimeoutNanos;
    private final ClientErrors errors;
    private final Map<InetAddress, Integer> open = new ConcurrentHashMap<>();

    ConnectionGuard(int perAddress, long headTimeoutNanos, ClientErrors errors) {
        this.perAddress = perAddress;
        this.headTimeoutNanos = headTimeoutNanos;
        this.errors = errors;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Channel connection = (Channel) msg;
        if (perAddress > 0 && connection.remoteAddress() instanceof InetSocketAddress peer) {
            InetAddress address = peer.getAddress();
            if (!admit(address)) {
                errors.record(ClientErrors.Reason.CONNECTIONS_PER_ADDRESS, peer);
                connection.unsafe().closeForcibly();
                return;
            }
            connection.closeFuture().addListener(f -> release(address));
        }
        if (headTimeoutNanos > 0) {
            HeadClock.attach(connection, headTimeoutNanos, errors);
        }
        ctx.fireChannelRead(connection);
    }

    private boolean admit(InetAddress address) {
        boolean[] admitted = {false};
        open.compute(address, (a, n) -> {
            int count = n == null ? 0 : n;
            if (count >= perAddress) {
                return n;
            }
            admitted[0] = true;
            return count + 1;
        });
        return admitted[0];
    }

    private void release(InetAddress address) {
        open.computeIfPresent(address, (a, n) -> n <= 1 ? null : n - 1);
    }
}
