package dev.pigeonhole.standalone;

import dev.pigeonhole.protocol.ServerFrame;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A test client of {@code /v1/send}: sends raw frames, collects the replies by message id. */
final class TestSender implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final Map<String, List<ServerFrame>> repliesById = new ConcurrentHashMap<>();
    private final LinkedBlockingQueue<ServerFrame.Error> errors = new LinkedBlockingQueue<>();
    private final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private volatile String closeReason;
    private final WsConnection connection;

    TestSender(String baseWs, String user, String device) {
        this(URI.create(baseWs + "/v1/send?user=" + user + "&device=" + device), null);
    }

    /** Any URI of the send endpoint, with an optional bearer token. */
    TestSender(URI uri, String bearer) {
        this.connection = WsConnection.open(HTTP, uri, bearer, Duration.ofSeconds(5), new WsConnection.Handler() {
                    @Override
                    public void onFrame(ServerFrame frame) {
                        if (frame instanceof ServerFrame.Accepted a) {
                            add(a.id(), a);
                        } else if (frame instanceof ServerFrame.Rejected r) {
                            add(r.id(), r);
                        } else if (frame instanceof ServerFrame.Error e) {
                            errors.add(e);
                        }
                    }

                    @Override
                    public void onClose(int code, String reason) {
                        closeReason = reason;
                        closed.complete(code);
                    }
                }).join();
    }

    private void add(String id, ServerFrame frame) {
        repliesById.computeIfAbsent(id, k -> new ArrayList<>());
        synchronized (repliesById.get(id)) {
            repliesById.get(id).add(frame);
        }
    }

    void send(String id, String to, String bodyJson) {
        sendRaw("{\"type\":\"send\",\"id\":\"" + id + "\",\"to\":\"" + to + "\",\"body\":" + bodyJson + "}");
    }

    void sendRaw(String text) {
        connection.send(text).join();
    }

    /** Waits until every id has at least {@code count} replies. */
    void awaitReplies(List<String> ids, int count, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (String id : ids) {
            while (replies(id).size() < count) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("no reply " + count + " for " + id + " within " + timeout);
                }
                ServiceProcess.sleep(5);
            }
        }
    }

    List<ServerFrame> replies(String id) {
        List<ServerFrame> r = repliesById.get(id);
        if (r == null) {
            return List.of();
        }
        synchronized (r) {
            return List.copyOf(r);
        }
    }

    ServerFrame awaitReply(String id, Duration timeout) {
        awaitReplies(List.of(id), 1, timeout);
        return replies(id).get(0);
    }

    ServerFrame.Error awaitError(Duration timeout) throws InterruptedException {
        ServerFrame.Error e = errors.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (e == null) {
            throw new AssertionError("no error frame within " + timeout);
        }
        return e;
    }

    CompletableFuture<Integer> closed() {
        return closed;
    }

    /** The reason of the server's close frame (null before it came). */
    String closeReason() {
        return closeReason;
    }

    @Override
    public void close() {
        connection.close();
    }
}
