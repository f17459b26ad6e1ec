package dev.pigeonhole.conformance;

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
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * A small WebSocket server (RFC 6455: handshake, text frames, ping/pong, close) on 127.0.0.1, written out here rather
 * than taken from a library because the fault server needs what libraries hide: stop answering pings while the TCP
 * connection stays open (half-open), and drop the TCP connection without a close frame.
 */
final class WsServer implements AutoCloseable {
    private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /** What the server reports about its connections (called on the connection's reader thread). */
    interface Handler {
        void opened(Connection c);

        void text(Connection c, String text);

        /** The connection ended: {@code code} from the client's close frame, or 1006 without one. */
        void closed(Connection c, int code);
    }

    private final ServerSocket server;
    private final Handler handler;
    private final List<Connection> connections = new CopyOnWriteArrayList<>();
    private final boolean answerPings;

    /** @param answerPings false: WebSocket pings get no pong (a scenario for clients that must use ping frames) */
    WsServer(int port, Handler handler, boolean answerPings) throws IOException {
        this.handler = handler;
        this.answerPings = answerPings;
        server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        daemon("ws-accept", this::acceptLoop);
    }

    int port() {
        return server.getLocalPort();
    }

    private static void daemon(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                daemon("ws-conn", () -> serve(s));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        try {
            InputStream in = s.getInputStream();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0 || head.size() > 16_384) {
                    s.close();
                    return;
                }
                head.write(b);
            }
            String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
            String key = null;
            for (String line : lines) {
                if (line.toLowerCase().startsWith("sec-websocket-key:")) {
                    key = line.substring(line.indexOf(':') + 1).trim();
                }
            }
            OutputStream out = s.getOutputStream();
            if (key == null) {
                out.write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                s.close();
                return;
            }
            String accept = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1")
                    .digest((key + GUID).getBytes(StandardCharsets.ISO_8859_1)));
            out.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Accept: " + accept + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            Connection c = new Connection(s, lines[0].split(" ")[1]);
            connections.add(c);
            handler.opened(c);
            c.readLoop();
        } catch (Exception e) {
            try {
                s.close();
            } catch (IOException ignored) {
                // already gone
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        connections.forEach(Connection::drop);
    }

    /** One accepted WebSocket. Writes are serialized; every method may be called from any thread. */
    final class Connection {
        private final Socket socket;
        private final String target;
        private volatile boolean silent;
        private volatile boolean closeSent;
        private volatile boolean ended;

        Connection(Socket socket, String target) {
            this.socket = socket;
            this.target = target;
        }

        /** The request target: path and query. */
        String target() {
            return target;
        }

        void send(String text) throws IOException {
            write(0x1, text.getBytes(StandardCharsets.UTF_8));
        }

        /** Sends a close frame; the TCP connection ends when the client answers it (or is dropped 2 s later). */
        void close(int code, String reason) throws IOException {
            byte[] text = reason.getBytes(StandardCharsets.UTF_8);
            byte[] payload = new byte[2 + text.length];
            payload[0] = (byte) (code >>> 8);
            payload[1] = (byte) code;
            System.arraycopy(text, 0, payload, 2, text.length);
            closeSent = true;
            write(0x8, payload);
            daemon("ws-close-guard", () -> {
                try {
                    Thread.sleep(2000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                drop();
            });
        }

        /** Half-open from the client's side: the TCP connection stays up, nothing is read, answered or written. */
        void silence() {
            silent = true;
        }

        /** Ends the TCP connection without a close frame (the client sees 1006). */
        void drop() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // already gone
            }
        }

        private synchronized void write(int opcode, byte[] payload) throws IOException {
            if (silent) {
                return;
            }
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
            int code = 1006;
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
                    if (len > 1 << 20) {
                        break;
                    }
                    byte[] payload = new byte[(int) len];
                    in.readFully(payload);
                    for (int i = 0; i < payload.length; i++) {
                        payload[i] ^= mask[i % 4];
                    }
                    if (silent) {
                        continue; // a half-open peer: what the client sends is lost
                    }
                    if (opcode == 0x0 || opcode == 0x1) {
                        message.write(payload);
                        if (fin) {
                            handler.text(this, message.toString(StandardCharsets.UTF_8));
                            message.reset();
                        }
                    } else if (opcode == 0x8) {
                        code = payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : 1005;
                        if (!closeSent) {
                            write(0x8, payload);
                        }
                        break;
                    } else if (opcode == 0x9 && answerPings) {
                        write(0xA, payload);
                    }
                }
            } catch (IOException e) {
                // the connection ended (1006 unless a close frame came first)
            }
            drop();
            if (!ended) {
                ended = true;
                handler.closed(this, code);
            }
        }
    }
}
