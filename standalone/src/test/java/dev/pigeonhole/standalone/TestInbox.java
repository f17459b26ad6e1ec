package dev.pigeonhole.standalone;

import dev.pigeonhole.protocol.ServerFrame;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** A test client of {@code /v1/inbox}: records every frame; optionally acks each message as it arrives. */
final class TestInbox implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final List<ServerFrame> frames = new ArrayList<>();
    private final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private volatile String closeReason;
    private volatile long closedAtNanos;
    private final WsConnection connection;

    /** @param query extra query parameters, e.g. {@code after=0} (may be empty) */
    TestInbox(String baseWs, String user, String device, String query, boolean autoAck) {
        this(URI.create(baseWs + "/v1/inbox?user=" + user + "&device=" + device + (query.isEmpty() ? "" : "&" + query)),
                null, autoAck);
    }

    /** Any URI of the inbox endpoint, with an optional bearer token. */
    TestInbox(URI uri, String bearer, boolean autoAck) {
        WsConnection[] self = new WsConnection[1];
        this.connection = WsConnection.open(HTTP, uri, bearer, Duration.ofSeconds(5), new WsConnection.Handler() {
            @Override
            public void onFrame(ServerFrame frame) {
                synchronized (frames) {
                    frames.add(frame);
                }
                if (autoAck && frame instanceof ServerFrame.Entry m) {
                    synchronized (self) {
                        while (self[0] == null) {
                            try {
                                self.wait();
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                                return;
                            }
                        }
                    }
                    self[0].send("{\"type\":\"ack\",\"seq\":" + m.seq() + "}");
                }
            }

            @Override
            public void onClose(int code, String reason) {
                closeReason = reason;
                closedAtNanos = System.nanoTime();
                closed.complete(code);
            }

            @Override
            public void onError(Throwable error) {
                closed.complete(-1);
            }
        }).join();
        synchronized (self) {
            self[0] = connection;
            self.notifyAll();
        }
    }

    List<ServerFrame> frames() {
        synchronized (frames) {
            return List.copyOf(frames);
        }
    }

    List<ServerFrame.Message> messages() {
        return frames().stream().filter(f -> f instanceof ServerFrame.Message).map(f -> (ServerFrame.Message) f).toList();
    }

    List<Long> seqs() {
        return messages().stream().map(ServerFrame.Message::seq).toList();
    }

    ServerFrame.CaughtUp awaitCaughtUp(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            for (ServerFrame f : frames()) {
                if (f instanceof ServerFrame.CaughtUp c) {
                    return c;
                }
            }
            ServiceProcess.sleep(10);
        }
        throw new AssertionError("no caught_up within " + timeout + "; got " + messages().size() + " messages");
    }

    /** Waits for the first frame of type {@code type} that matches {@code test}. */
    <T extends ServerFrame> T awaitFrame(Class<T> type, java.util.function.Predicate<T> test, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            for (ServerFrame f : frames()) {
                if (type.isInstance(f) && test.test(type.cast(f))) {
                    return type.cast(f);
                }
            }
            ServiceProcess.sleep(10);
        }
        throw new AssertionError("no matching " + type.getSimpleName() + " within " + timeout + "; got " + frames());
    }

    void awaitMessages(int count, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (messages().size() < count) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("got " + messages().size() + " of " + count + " messages within " + timeout);
            }
            ServiceProcess.sleep(10);
        }
    }

    void ack(long seq) {
        connection.send("{\"type\":\"ack\",\"seq\":" + seq + "}").join();
    }

    void sendRaw(String text) {
        connection.send(text).join();
    }

    CompletableFuture<Integer> closed() {
        return closed;
    }

    /** The reason of the server's close frame (null before it came). */
    String closeReason() {
        return closeReason;
    }

    /** {@link System#nanoTime()} when the close came. */
    long closedAtNanos() {
        return closedAtNanos;
    }

    void abort() {
        connection.abort();
    }

    @Override
    public void close() {
        connection.close();
    }
}
