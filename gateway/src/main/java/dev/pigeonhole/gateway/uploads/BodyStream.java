package dev.pigeonhole.gateway.uploads;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;

/**
 * A request body as a blocking {@link InputStream} for a worker thread, with backpressure: the request is paused
 * while more than {@link #HIGH} bytes wait here, so memory per request stays bounded whatever the body's size. A
 * connection that closes mid-body, or a body that stalls for the idle timeout, fails the read: the store keeps
 * what was read before. A client that sent {@code Expect: 100-continue} is told to go on at the first read, so a
 * request refused before its body is needed never sends it.
 */
final class BodyStream extends InputStream {
    static final int HIGH = 256 * 1024;
    private static final int LOW = 64 * 1024;

    private final HttpServerRequest request;
    private final long idleNanos;
    private final ArrayDeque<Buffer> queue = new ArrayDeque<>();
    private int queued;
    private int position; // in the head buffer
    private boolean paused;
    private boolean ended;
    private IOException failure;
    private boolean expectsContinue;

    BodyStream(HttpServerRequest request, long idleNanos) {
        this.request = request;
        this.idleNanos = idleNanos;
        this.expectsContinue = "100-continue".equalsIgnoreCase(request.getHeader("Expect"));
        request.handler(this::arrived);
        request.endHandler(v -> end(null));
        request.exceptionHandler(t -> end(new IOException("request failed: " + t.getMessage(), t)));
        request.response().closeHandler(v -> end(new IOException("connection closed")));
        request.resume();
    }

    private synchronized void arrived(Buffer buffer) {
        queue.add(buffer);
        queued += buffer.length();
        if (queued > HIGH && !paused) {
            paused = true;
            request.pause();
        }
        notifyAll();
    }

    private synchronized void end(IOException failed) {
        if (!ended && failure == null) {
            if (failed == null) {
                ended = true;
            } else {
                failure = failed;
            }
        }
        notifyAll();
    }

    /** True when the body failed: the connection closed mid-body or the body stalled. */
    synchronized boolean failed() {
        return failure != null;
    }

    /** True when the whole body was received (so the connection can be reused). */
    synchronized boolean complete() {
        return ended && queue.isEmpty();
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public synchronized int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (expectsContinue) {
            // only now, when the body is wanted: a refused PATCH (409, 404, 413...) is answered before it is sent
            expectsContinue = false;
            request.response().writeContinue();
        }
        long deadline = System.nanoTime() + idleNanos;
        while (queue.isEmpty()) {
            if (failure != null) {
                throw failure;
            }
            if (ended) {
                return -1;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                failure = new IOException("the request body stalled");
                throw failure;
            }
            try {
                wait(Math.max(1, left / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
        }
        Buffer head = queue.peek();
        int n = Math.min(len, head.length() - position);
        head.getBytes(position, position + n, b, off);
        position += n;
        if (position == head.length()) {
            queue.poll();
            position = 0;
        }
        queued -= n;
        if (paused && queued < LOW) {
            paused = false;
            request.resume();
        }
        return n;
    }
}
