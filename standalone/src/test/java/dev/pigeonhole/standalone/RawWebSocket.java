package dev.pigeonhole.standalone;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A WebSocket client on a bare socket that can stop reading — what a stuck or hostile client does — with a tiny
 * receive buffer so the server's writes back up quickly. Frames are parsed only when the test decides to read.
 */
final class RawWebSocket implements AutoCloseable {
    private final Socket socket;
    private final DataInputStream in;

    RawWebSocket(int port, String pathAndQuery) throws IOException {
        socket = new Socket();
        socket.setReceiveBufferSize(4096);
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
        socket.getOutputStream().write(("GET " + pathAndQuery + " HTTP/1.1\r\nHost: 127.0.0.1:" + port
                + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        in = new DataInputStream(socket.getInputStream());
        String status = readHeaders(in);
        if (!status.startsWith("HTTP/1.1 101")) {
            throw new IOException("handshake refused: " + status);
        }
    }

    /** A close frame as read: its code (-1 if the connection ended without one) and reason. */
    record Close(int code, String reason) {}

    /**
     * Sends one frame, masked as a client must: {@code first} is the header's first byte (FIN, RSV bits, opcode),
     * e.g. {@code 0x81} for a whole text frame.
     */
    void sendFrame(int first, byte[] payload) throws IOException {
        sendFrame(first, payload, true);
    }

    /** Sends one frame, masked or (against RFC 6455) not. */
    void sendFrame(int first, byte[] payload, boolean masked) throws IOException {
        ByteArrayOutputStream frame = new ByteArrayOutputStream(payload.length + 14);
        frame.write(first);
        int maskBit = masked ? 0x80 : 0;
        if (payload.length < 126) {
            frame.write(maskBit | payload.length);
        } else if (payload.length < 65536) {
            frame.write(maskBit | 126);
            frame.write(payload.length >>> 8);
            frame.write(payload.length & 0xFF);
        } else {
            frame.write(maskBit | 127);
            for (int shift = 56; shift >= 0; shift -= 8) {
                frame.write((int) ((long) payload.length >>> shift) & 0xFF);
            }
        }
        if (!masked) {
            frame.write(payload);
            socket.getOutputStream().write(frame.toByteArray());
            return;
        }
        byte[] mask = {0x5A, 0x3C, 0x7E, 0x11};
        frame.write(mask);
        for (int i = 0; i < payload.length; i++) {
            frame.write(payload[i] ^ mask[i & 3]);
        }
        socket.getOutputStream().write(frame.toByteArray());
        socket.getOutputStream().flush();
    }

    /** Reads frames until a close frame and returns its code (-1 if the connection ended without one). */
    int readUntilClose(int timeoutMs) throws IOException {
        return readClose(timeoutMs).code();
    }

    /** Reads frames until a close frame (the connection ending without one gives code -1). */
    Close readClose(int timeoutMs) throws IOException {
        socket.setSoTimeout(timeoutMs);
        try {
            while (true) {
                Frame f = readFrame();
                if (f.opcode() == 0x8) {
                    return f.close();
                }
            }
        } catch (java.io.EOFException | java.net.SocketException e) {
            return new Close(-1, String.valueOf(e));
        }
    }

    /**
     * The next text frame (the server sends them whole), skipping WebSocket pings and pongs without answering them,
     * as a browser's page never sees them; an IOException naming the close if a close frame comes first.
     */
    String readText(int timeoutMs) throws IOException {
        socket.setSoTimeout(timeoutMs);
        while (true) {
            Frame f = readFrame();
            if (f.opcode() == 0x1) {
                return new String(f.payload(), StandardCharsets.UTF_8);
            }
            if (f.opcode() == 0x8) {
                Close c = f.close();
                throw new IOException("closed by the server: " + (c.code() == 1005 ? "no code" : c.code() + " " + c.reason()));
            }
        }
    }

    /** One frame from the server (unmasked, whole). */
    private record Frame(int opcode, byte[] payload) {
        /** A close frame's code and reason (1005: it carried no code). */
        Close close() {
            return payload.length >= 2
                    ? new Close(((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF),
                            new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8))
                    : new Close(1005, "");
        }
    }

    private Frame readFrame() throws IOException {
        int b0 = in.readUnsignedByte();
        int b1 = in.readUnsignedByte();
        long len = b1 & 0x7F;
        if (len == 126) {
            len = in.readUnsignedShort();
        } else if (len == 127) {
            len = in.readLong();
        }
        byte[] payload = new byte[(int) len];
        in.readFully(payload);
        return new Frame(b0 & 0x0F, payload);
    }

    private static String readHeaders(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.write(b);
            matched = (b == '\r' || b == '\n') ? matched + 1 : 0;
        }
        return head.toString(StandardCharsets.US_ASCII);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
