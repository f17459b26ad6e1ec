package dev.pigeonhole.client;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A small tus server (docs/protocol.md, Uploads) and {@code GET /v1/blobs/{ref}} on 127.0.0.1, in memory, for tests:
 * it can cut a PATCH or a download mid-body (keeping what arrived) and refuse requests.
 */
public final class FakeTusServer implements AutoCloseable {
    private final HttpServer http;
    private final Map<String, Upload> uploads = new ConcurrentHashMap<>();
    private final Map<String, byte[]> blobs = new ConcurrentHashMap<>();
    private final AtomicInteger ids = new AtomicInteger();
    /** Bytes of PATCH bodies received in total (kept or not). */
    public final AtomicLong patchBytes = new AtomicLong();
    /** Method and path of every request, e.g. {@code "HEAD /v1/uploads/u1"}; Range headers as {@code "Range bytes=5-"}. */
    public final List<String> requests = new CopyOnWriteArrayList<>();
    /** The next PATCH keeps this many bytes of its body, then the connection is dropped (-1: off). */
    public final AtomicLong cutNextPatchAfter = new AtomicLong(-1);
    /** The next download sends this many bytes, then the connection is dropped (-1: off). */
    public final AtomicLong cutNextDownloadAfter = new AtomicLong(-1);
    /** Every request is answered 503 while set. */
    public volatile boolean down;
    /** POST is answered with this status and error code while set (e.g. 413 quota_exceeded). */
    public volatile String refuseCreate;
    /** Each PATCH waits this long first. */
    public volatile long patchDelayMs;

    private record Upload(long length, String sha256, String type, ByteArrayOutputStream bytes) {}

    public FakeTusServer() throws IOException {
        http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        http.setExecutor(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "fake-tus");
            t.setDaemon(true);
            return t;
        }));
        http.createContext("/v1/uploads", this::uploads);
        http.createContext("/v1/blobs/", this::blobs);
        http.start();
    }

    public String url() {
        return "http://127.0.0.1:" + http.getAddress().getPort();
    }

    /** Makes {@code bytes} downloadable; returns its ref. */
    public String putBlob(byte[] bytes) {
        String ref = "sha256:" + sha256(bytes);
        blobs.put(ref, bytes);
        return ref;
    }

    /** Serves {@code bytes} under {@code ref} (which may be a lie). */
    public void putBlob(String ref, byte[] bytes) {
        blobs.put(ref, bytes);
    }

    public byte[] blob(String ref) {
        return blobs.get(ref);
    }

    /** Uploads created. */
    public int created() {
        return ids.get();
    }

    public long count(String prefix) {
        return requests.stream().filter(r -> r.startsWith(prefix)).count();
    }

    private void uploads(HttpExchange x) throws IOException {
        requests.add(x.getRequestMethod() + " " + x.getRequestURI().getPath());
        x.getResponseHeaders().set("Tus-Resumable", "1.0.0");
        if (down) {
            answer(x, 503, "unavailable");
            return;
        }
        String path = x.getRequestURI().getPath();
        switch (x.getRequestMethod()) {
            case "POST" -> create(x);
            case "HEAD" -> {
                Upload u = uploads.get(path);
                if (u == null) {
                    x.sendResponseHeaders(404, -1);
                    x.close();
                    return;
                }
                synchronized (u) {
                    x.getResponseHeaders().set("Upload-Offset", String.valueOf(u.bytes.size()));
                    x.getResponseHeaders().set("Upload-Length", String.valueOf(u.length));
                    finished(x, u);
                }
                x.sendResponseHeaders(200, -1);
                x.close();
            }
            case "PATCH" -> patch(x, path);
            default -> answer(x, 405, "invalid_field");
        }
    }

    private void create(HttpExchange x) throws IOException {
        if (refuseCreate != null) {
            answer(x, 413, refuseCreate);
            return;
        }
        long length = Long.parseLong(x.getRequestHeaders().getFirst("Upload-Length"));
        String sha = null;
        String type = "application/octet-stream";
        for (String pair : x.getRequestHeaders().getFirst("Upload-Metadata").split(",")) {
            String[] kv = pair.trim().split(" ");
            String value = new String(Base64.getDecoder().decode(kv[1]), StandardCharsets.UTF_8);
            if (kv[0].equals("sha256")) {
                sha = value;
            } else if (kv[0].equals("filetype")) {
                type = value;
            }
        }
        String location = "/v1/uploads/u" + ids.incrementAndGet();
        uploads.put(location, new Upload(length, sha, type, new ByteArrayOutputStream()));
        x.getResponseHeaders().set("Location", location);
        x.getResponseHeaders().set("Upload-Offset", "0");
        x.sendResponseHeaders(201, -1);
        x.close();
    }

    private void patch(HttpExchange x, String path) throws IOException {
        try {
            Thread.sleep(patchDelayMs);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Upload u = uploads.get(path);
        if (u == null) {
            answer(x, 404, "not_found");
            return;
        }
        long offset = Long.parseLong(x.getRequestHeaders().getFirst("Upload-Offset"));
        synchronized (u) {
            if (offset != u.bytes.size()) {
                x.getResponseHeaders().set("Upload-Offset", String.valueOf(u.bytes.size()));
                answer(x, 409, "offset_mismatch");
                return;
            }
            long cut = cutNextPatchAfter.getAndSet(-1);
            InputStream in = x.getRequestBody();
            byte[] buf = new byte[8192];
            long kept = 0;
            for (int n; (n = in.read(buf)) > 0; ) {
                patchBytes.addAndGet(n);
                int keep = cut < 0 ? n : (int) Math.max(0, Math.min(n, cut - kept));
                u.bytes.write(buf, 0, keep);
                kept += keep;
                if (cut >= 0 && kept >= cut) {
                    x.close(); // no answer: the client sees the connection drop; the bytes so far are kept
                    return;
                }
            }
            if (u.bytes.size() == u.length && !sha256(u.bytes.toByteArray()).equals(u.sha256)) {
                uploads.remove(path);
                answer(x, 422, "checksum_mismatch");
                return;
            }
            x.getResponseHeaders().set("Upload-Offset", String.valueOf(u.bytes.size()));
            finished(x, u);
        }
        x.sendResponseHeaders(204, -1);
        x.close();
    }

    /** Stores the blob and adds {@code Pigeonhole-Blob} once all bytes are there. */
    private void finished(HttpExchange x, Upload u) {
        if (u.bytes.size() == u.length) {
            String ref = "sha256:" + u.sha256;
            blobs.putIfAbsent(ref, u.bytes.toByteArray());
            x.getResponseHeaders().set("Pigeonhole-Blob", ref);
        }
    }

    private void blobs(HttpExchange x) throws IOException {
        String range = x.getRequestHeaders().getFirst("Range");
        requests.add(x.getRequestMethod() + " " + x.getRequestURI().getPath() + (range == null ? "" : " Range " + range));
        byte[] blob = blobs.get(x.getRequestURI().getPath().substring("/v1/blobs/".length()));
        if (down || blob == null) {
            answer(x, down ? 503 : 404, down ? "unavailable" : "not_found");
            return;
        }
        int from = 0;
        if (range != null && range.matches("bytes=\\d+-")) {
            from = Integer.parseInt(range.substring(6, range.length() - 1));
            if (from >= blob.length) {
                x.getResponseHeaders().set("Content-Range", "bytes */" + blob.length);
                answer(x, 416, "invalid_field");
                return;
            }
            x.getResponseHeaders().set("Content-Range", "bytes " + from + "-" + (blob.length - 1) + "/" + blob.length);
        }
        x.sendResponseHeaders(from > 0 ? 206 : 200, blob.length - from);
        long cut = cutNextDownloadAfter.getAndSet(-1);
        OutputStream out = x.getResponseBody();
        int end = cut < 0 ? blob.length : (int) Math.min(blob.length, from + cut);
        out.write(blob, from, end - from);
        out.flush();
        if (end < blob.length) {
            closeAbruptly(x); // cut mid-body
            return;
        }
        x.close();
    }

    /** Ends a response before its Content-Length: the JDK server then closes the connection. */
    private static void closeAbruptly(HttpExchange x) {
        try {
            x.close();
        } catch (RuntimeException expected) {
            // "insufficient bytes written": the connection is closed
        }
    }

    private static void answer(HttpExchange x, int status, String code) throws IOException {
        byte[] body = ("{\"type\":\"error\",\"code\":\"" + code + "\",\"message\":\"" + code + "\"}").getBytes(StandardCharsets.UTF_8);
        x.sendResponseHeaders(status, body.length);
        x.getResponseBody().write(body);
        x.close();
    }

    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        http.stop(0);
    }
}
