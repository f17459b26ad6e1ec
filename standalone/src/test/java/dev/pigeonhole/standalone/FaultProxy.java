package dev.pigeonhole.standalone;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An in-process TCP proxy on loopback that plays the bad network between a client and the server:
 * <ul>
 *   <li>{@link #refuse()} — the network is down: open connections are reset, new ones are refused;</li>
 *   <li>{@link #blackhole()} — half-open: connections stay open but nothing passes in either direction, and new
 *       connections are accepted but silent (an elevator, a captive portal);</li>
 *   <li>{@link #drop()} — a blip: open connections are reset, new ones work;</li>
 *   <li>{@link #delay(long)} — every chunk is held back this long;</li>
 *   <li>{@link #up()} — normal; connections black-holed before are reset (their bytes are gone).</li>
 * </ul>
 * Every change of the "network is up" truth is logged with its time for checking what clients reported.
 */
final class FaultProxy implements AutoCloseable {
    enum Mode { UP, REFUSE, BLACKHOLE }

    /** A change of mode at a time (epoch millis). */
    record Transition(long at, Mode mode) {}

    private final ServerSocket server;
    private final int upstreamPort;
    private final Set<Pair> pairs = ConcurrentHashMap.newKeySet();
    private final List<Transition> transitions = new ArrayList<>();
    private volatile Mode mode = Mode.UP;
    private volatile long delayMs;
    private volatile boolean closed;
    private final java.util.concurrent.atomic.AtomicLong upstreamBytes = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong swallowedBytes = new java.util.concurrent.atomic.AtomicLong();
    /** Byte counts (of {@link #bytesFromClients}) at which to {@link #drop()} or {@link #blackhole()}, ascending. */
    private final java.util.concurrent.ConcurrentSkipListMap<Long, Runnable> triggers = new java.util.concurrent.ConcurrentSkipListMap<>();

    FaultProxy(int upstreamPort) {
        this.upstreamPort = upstreamPort;
        try {
            server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        record(Mode.UP);
        Thread acceptor = new Thread(this::acceptLoop, "fault-proxy-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return server.getLocalPort();
    }

    String ws() {
        return "ws://127.0.0.1:" + port();
    }

    Mode mode() {
        return mode;
    }

    synchronized List<Transition> transitions() {
        return List.copyOf(transitions);
    }

    void up() {
        mode = Mode.UP;
        for (Pair p : pairs) {
            if (p.blackholed) {
                p.reset();
            }
        }
        record(Mode.UP);
    }

    void refuse() {
        mode = Mode.REFUSE;
        record(Mode.REFUSE);
        pairs.forEach(Pair::reset);
    }

    void blackhole() {
        mode = Mode.BLACKHOLE;
        record(Mode.BLACKHOLE);
        pairs.forEach(p -> p.blackholed = true);
    }

    /** Resets every open connection; logged as "up again now" since clients must reconnect. */
    void drop() {
        pairs.forEach(Pair::reset);
        record(mode);
    }

    /** Bytes that crossed the network from clients (received by the proxy), whether or not the server got them. */
    long bytesFromClients() {
        return upstreamBytes.get();
    }

    /** Bytes from clients that a black hole swallowed (they never reached the server). */
    long bytesSwallowed() {
        return swallowedBytes.get();
    }

    /**
     * Cuts every open connection ({@link #drop()}) as soon as {@link #bytesFromClients()} reaches each of these counts,
     * from the proxy's own thread: exactly there, however fast or slow the machine is.
     */
    void dropAt(long... upstreamBytes) {
        for (long b : upstreamBytes) {
            triggers.put(b, this::drop);
        }
    }

    /** Goes {@link #blackhole() half-open} once {@link #bytesFromClients()} reaches this count. */
    void blackholeAt(long upstreamBytes) {
        triggers.put(upstreamBytes, this::blackhole);
    }

    /** {@link #dropAt}/{@link #blackholeAt} points not reached yet. */
    int triggersLeft() {
        return triggers.size();
    }

    private void fireTriggers(long total) {
        for (var e = triggers.firstEntry(); e != null && e.getKey() <= total; e = triggers.firstEntry()) {
            if (triggers.remove(e.getKey(), e.getValue())) {
                e.getValue().run();
            }
        }
    }

    void delay(long ms) {
        delayMs = ms;
    }

    private synchronized void record(Mode m) {
        transitions.add(new Transition(System.currentTimeMillis(), m));
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return;
            }
            if (mode == Mode.REFUSE) {
                resetQuietly(client);
                continue;
            }
            try {
                Socket upstream = new Socket(InetAddress.getLoopbackAddress(), upstreamPort);
                Pair pair = new Pair(client, upstream, mode == Mode.BLACKHOLE);
                pairs.add(pair);
                pair.start();
            } catch (IOException e) {
                resetQuietly(client);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // closing
        }
        pairs.forEach(Pair::reset);
    }

    private static void resetQuietly(Socket s) {
        try {
            s.setSoLinger(true, 0);
            s.close();
        } catch (IOException e) {
            // already gone
        }
    }

    private final class Pair {
        private final Socket client;
        private final Socket upstream;
        private volatile boolean blackholed;

        Pair(Socket client, Socket upstream, boolean blackholed) {
            this.client = client;
            this.upstream = upstream;
            this.blackholed = blackholed;
        }

        void start() {
            pump(client, upstream, "up");
            pump(upstream, client, "down");
        }

        private void pump(Socket from, Socket to, String direction) {
            Thread t = new Thread(() -> {
                byte[] buf = new byte[16 * 1024];
                try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                    for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
                        if (blackholed) {
                            if (from == client) {
                                swallowedBytes.addAndGet(n);
                            }
                            continue; // swallowed: the other side hears nothing and learns nothing
                        }
                        long d = delayMs;
                        if (d > 0) {
                            Thread.sleep(d);
                        }
                        long total = from == client ? upstreamBytes.addAndGet(n) : -1;
                        out.write(buf, 0, n);
                        out.flush();
                        if (total >= 0) {
                            fireTriggers(total); // after the bytes went on: a cut then loses what is in flight
                        }
                    }
                } catch (IOException | InterruptedException e) {
                    // one side went away
                } finally {
                    reset();
                }
            }, "fault-proxy-" + direction);
            t.setDaemon(true);
            t.start();
        }

        void reset() {
            pairs.remove(this);
            resetQuietly(client);
            resetQuietly(upstream);
        }
    }
}
