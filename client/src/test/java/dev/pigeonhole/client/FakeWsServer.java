package dev.pigeonhole.client;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A minimal WebSocket server (RFC 6455: handshake, text frames, ping/pong, close) on a real socket, for tests that
 * play the Pigeonhole server by hand: each accepted connection is offered on {@link #connections()}.
 */
public final class FakeWsServer implements AutoCloseable {
    private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    private final ServerSocket server;
    private final BlockingQueue<Connection> connections = new LinkedBlockingQueue<>();
    private final Thread acceptor;

    public FakeWsServer(int port) throws IOException {
        server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        acceptor = new Thread(this::acceptLoop, "fake-ws-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** A port nothing listens on (right now). */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    public int port() {
        return server.getLocalPort();
    }

    public String url() {
        return "ws://127.0.0.1:" + port();
    }

    /** The next connection whose path starts with {@code path}, within {@code timeout}. */
    public Connection accept(String path, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Connection c = connections.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (c == null) {
                throw new AssertionError("no connection to " + path + " within " + timeout);
            }
            if (c.path().startsWith(path)) {
                return c;
            }
        }
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                Thread t = new Thread(() -> handshake(s), "fake-ws-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void handshake(Socket s) {
        try {
            InputStream in = s.getInputStream();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    s.close();
                    return;
                }
                head.write(b);
            }
            String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
            String target = lines[0].split(" ")[1];
            Map<String, String> headers = new HashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon > 0) {
                    headers.put(lines[i].substring(0, colon).trim().toLowerCase(), lines[i].substring(colon + 1).trim());
                }
            }
            String accept = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1")
                    .digest((headers.get("sec-websocket-key") + GUID).getBytes(StandardCharsets.ISO_8859_1)));
            OutputStream out = s.getOutputStream();
            out.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Accept: " + accept + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            Connection c = new Connection(s, target);
            connections.add(c);
            c.readLoop();
        } catch (Exception e) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Connection c : connections) {
            c.abort();
        }
    }

    /** One accepted WebSocket. */
    public static final class Connection {
        private final Socket socket;
        private final String target;
        private final BlockingQueue<String> received = new LinkedBlockingQueue<>();
        private volatile boolean closed;
        private volatile boolean closeSent;

        Connection(Socket socket, String target) {
            this.socket = socket;
            this.target = target;
        }

        /** The request target: path and query. */
        public String path() {
            return target;
        }

        /** The next text frame from the client, or null after {@code timeout}. */
        public String poll(Duration timeout) throws InterruptedException {
            return received.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }

        /** The next text frame that contains {@code fragment}; frames before it are dropped. */
        public String next(String fragment, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                String f = received.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (f == null) {
                    throw new AssertionError("no frame with " + fragment + " within " + timeout);
                }
                if (f.contains(fragment)) {
                    return f;
                }
            }
        }

        public boolean isClosed() {
            return closed;
        }

        public synchronized void send(String text) throws IOException {
            write(0x1, text.getBytes(StandardCharsets.UTF_8));
        }

        /** Closes the WebSocket with a close frame carrying {@code code} and {@code reason} (as the server does). */
        public void close(int code, String reason) throws IOException {
            byte[] text = reason.getBytes(StandardCharsets.UTF_8);
            byte[] payload = new byte[2 + text.length];
            payload[0] = (byte) (code >>> 8);
            payload[1] = (byte) code;
            System.arraycopy(text, 0, payload, 2, text.length);
            closeSent = true;
            write(0x8, payload);
        }

        public void abort() {
            closed = true;
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing
            }
        }

        private synchronized void write(int opcode, byte[] payload) throws IOException {
            OutputStream out = socket.getOutputStream();
            out.write(0x80 | opcode);
            if (payload.length < 126) {
                out.write(payload.length);
            } else if (payload.length < 65536) {
                out.write(126);
                out.write(payload.length >>> 8);
                out.write(payload.length & 0xff);
            } else {
                out.write(127);
                for (int i = 7; i >= 0; i--) {
                    out.write((int) ((long) payload.length >>> (8 * i)) & 0xff);
                }
            }
            out.write(payload);
            out.flush();
        }

        private void readLoop() {
            try {
                DataInputStream in = new DataInputStream(socket.getInputStream());
                ByteArrayOutputStream message = new ByteArrayOutputStream();
                while (true) {
                    int b0 = in.readUnsignedByte();
                    int b1 = in.readUnsignedByte();
                    boolean fin = (b0 & 0x80) != 0;
                    int opcode = b0 & 0x0f;
                    long len = b1 & 0x7f;
                    if (len == 126) {
                        len = in.readUnsignedShort();
                    } else if (len == 127) {
                        len = in.readLong();
                    }
                    byte[] mask = new byte[4];
                    if ((b1 & 0x80) != 0) {
                        in.readFully(mask);
                    }
                    byte[] payload = new byte[(int) len];
                    in.readFully(payload);
                    for (int i = 0; i < payload.length; i++) {
                        payload[i] ^= mask[i % 4];
                    }
                    switch (opcode) {
                        case 0x0, 0x1 -> {
                            message.write(payload);
                            if (fin) {
                                received.add(message.toString(StandardCharsets.UTF_8));
                                message.reset();
                            }
                        }
                        case 0x8 -> {
                            if (!closeSent) {
                                write(0x8, payload);
                            }
                            abort();
                            return;
                        }
                        case 0x9 -> write(0xA, payload);
                        default -> { }
                    }
                }
            } catch (IOException e) {
                abort();
            }
        }
    }
}
