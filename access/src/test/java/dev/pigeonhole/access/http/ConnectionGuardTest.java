package dev.pigeonhole.access.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The per-address cap and the request-head clock on Netty's embedded channel, with its frozen clock. */
class ConnectionGuardTest {
    private static final long HEAD_TIMEOUT = TimeUnit.SECONDS.toNanos(10);
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final ClientErrors errors = new ClientErrors(registry);

    @Test
    void aHeadNotCompleteInTimeClosesTheConnection() {
        EmbeddedChannel connection = connection("10.0.0.1");
        HeadClock.attach(connection, HEAD_TIMEOUT, errors);
        open(connection);
        connection.writeInbound(Unpooled.wrappedBuffer(new byte[] {'G'}));
        after(connection, 9);
        assertThat(connection.isOpen()).isTrue();
        after(connection, 1);
        assertThat(connection.isOpen()).isFalse();
        assertThat(count("request_head_timeout")).isEqualTo(1);
    }

    @Test
    void betweenRequestsOnlyTheNextHeadsFirstByteStartsTheClock() {
        EmbeddedChannel connection = connection("10.0.0.1");
        HeadClock.attach(connection, HEAD_TIMEOUT, errors);
        open(connection);
        HeadClock.of(connection).headReceived(false);
        after(connection, 30);
        HeadClock.of(connection).responseEnded();
        after(connection, 30);
        assertThat(connection.isOpen()).as("idle between requests: the idle timeout's business").isTrue();
        connection.writeInbound(Unpooled.wrappedBuffer(new byte[] {'G'}));
        after(connection, 10);
        assertThat(connection.isOpen()).isFalse();
    }

    @Test
    void aWebSocketIsNotTimedAfterItsUpgrade() {
        EmbeddedChannel connection = connection("10.0.0.1");
        HeadClock.attach(connection, HEAD_TIMEOUT, errors);
        open(connection);
        HeadClock.of(connection).headReceived(true);
        connection.writeInbound(Unpooled.wrappedBuffer(new byte[] {(byte) 0x89, 0}));
        after(connection, 60);
        assertThat(connection.isOpen()).isTrue();
    }

    @Test
    void connectionsOverThePerAddressCapAreClosedAndAFreedSlotIsReused() {
        EmbeddedChannel listening = new EmbeddedChannel(new ConnectionGuard(2, 0, errors));
        EmbeddedChannel first = connection("10.0.0.1");
        EmbeddedChannel second = connection("10.0.0.1");
        EmbeddedChannel third = connection("10.0.0.1");
        EmbeddedChannel other = connection("10.0.0.2");
        listening.writeInbound(first, second, third, other);
        assertThat(third.isOpen()).isFalse();
        assertThat(first.isOpen() && second.isOpen() && other.isOpen()).isTrue();
        assertThat(count("connections_per_address")).isEqualTo(1);
        assertThat(listening.inboundMessages()).containsExactly(first, second, other);

        open(first);
        first.close();
        EmbeddedChannel fourth = connection("10.0.0.1");
        listening.writeInbound(fourth);
        assertThat(fourth.isOpen()).isTrue();
    }

    /** An accepted connection from {@code address}, not yet registered (as the listening channel hands it on). */
    private static EmbeddedChannel connection(String address) {
        SocketAddress peer = new InetSocketAddress(address, 40000);
        EmbeddedChannel channel = new EmbeddedChannel(false, false) {
            @Override
            protected SocketAddress remoteAddress0() {
                return peer;
            }
        };
        channel.freezeTime();
        return channel;
    }

    private static void open(EmbeddedChannel connection) {
        try {
            connection.register();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void after(EmbeddedChannel connection, int seconds) {
        connection.advanceTimeBy(seconds, TimeUnit.SECONDS);
        connection.runScheduledPendingTasks();
    }

    private double count(String reason) {
        return registry.get("pigeonhole.http.client.errors").tag("reason", reason).counter().count();
    }
}
