package dev.pigeonhole.client.internal;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;

/**
 * {@code GET /v1/blobs/{ref}} into {@code target.part}, continuing a partial one with {@code Range}; checks the
 * SHA-256 and moves it to {@code target}. Each download runs on its own daemon thread.
 */
public final class Downloads {
    private static final int ATTEMPTS = 5;
    /** Progress is reported once per this many bytes received (as uploads report once per chunk), and at the end. */
    public static final int PROGRESS_STEP = 512 * 1024;

    /** Bytes in {@code target.part} so far and the blob's size (-1 while unknown); called on the download's thread. */
    public interface Progress {
        void progress(long received, long total);
    }

    private Downloads() {}

    public static CompletableFuture<Path> download(HttpClient http, URI base, String user, String device, String token,
                                                   String ref, Path target) {
        return download(http, base, user, device, token, ref, target, (received, total) -> {});
    }

    public static CompletableFuture<Path> download(HttpClient http, URI base, String user, String device, String token,
                                                   String ref, Path target, Progress progress) {
        if (ref == null || !ref.matches("sha256:[0-9a-f]{64}")) {
            throw new IllegalArgumentException("a ref is sha256:<64 lowercase hex>");
        }
        String query = token != null ? "" : "?user=" + URLEncoder.encode(user, StandardCharsets.UTF_8)
                + "&device=" + URLEncoder.encode(device, StandardCharsets.UTF_8);
        URI uri = URI.create(base + "/v1/blobs/" + ref + query);
        CompletableFuture<Path> result = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                result.complete(run(http, uri, token, ref, target, progress));
            } catch (Exception e) {
                result.completeExceptionally(e);
            }
        }, "pigeonhole-download");
        t.setDaemon(true);
        t.start();
        return result;
    }

    private static Path run(HttpClient http, URI uri, String token, String ref, Path target, Progress progress) throws Exception {
        Path part = target.resolveSibling(target.getFileName() + ".part");
        for (int attempt = 1; ; attempt++) {
            try {
                fetch(http, uri, token, part, progress);
                break;
            } catch (StatusException e) {
                throw e;
            } catch (IOException e) {
                if (attempt == ATTEMPTS) {
                    throw e;
                }
                Thread.sleep(200L * attempt); // cut: the bytes that arrived stay in the .part; continue from there
            }
        }
        if (!("sha256:" + sha256(part)).equals(ref)) {
            Files.delete(part);
            throw new IOException("downloaded bytes do not hash to " + ref + " (the partial file was deleted)");
        }
        Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return target;
    }

    /** One request: the .part holds the whole blob after it. */
    private static void fetch(HttpClient http, URI uri, String token, Path part, Progress progress)
            throws IOException, InterruptedException {
        long have = Files.exists(part) ? Files.size(part) : 0;
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).GET();
        if (have > 0) {
            request.header("Range", "bytes=" + have + "-");
        }
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        HttpResponse<InputStream> r = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream body = r.body()) {
            int s = r.statusCode();
            if (s == 416 && have > 0) {
                progress.progress(have, have);
                return; // the .part already has every byte
            }
            if (s != 200 && s != 206) {
                throw new StatusException("HTTP " + s + " for " + uri.getPath());
            }
            long received = s == 206 ? have : 0;
            long total = total(r, received);
            progress.progress(received, total);
            long reported = received;
            try (var out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    s == 206 ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
                byte[] buf = new byte[64 * 1024];
                for (int n; (n = body.read(buf)) >= 0; ) {
                    out.write(buf, 0, n);
                    received += n;
                    if (received - reported >= PROGRESS_STEP) {
                        out.flush();
                        progress.progress(received, total);
                        reported = received;
                    }
                }
            }
            if (received != reported) {
                progress.progress(received, total);
            }
        }
    }

    /** The blob's size: a 206's {@code Content-Range: bytes a-b/total}, else start + {@code Content-Length}; -1 if unknown. */
    private static long total(HttpResponse<?> r, long start) {
        var range = r.headers().firstValue("Content-Range");
        if (range.isPresent()) {
            String v = range.get();
            int slash = v.lastIndexOf('/');
            if (slash >= 0 && !v.endsWith("*")) {
                try {
                    return Long.parseLong(v.substring(slash + 1).trim());
                } catch (NumberFormatException ignored) {
                    // fall through
                }
            }
        }
        long length = r.headers().firstValueAsLong("Content-Length").orElse(-1);
        return length < 0 ? -1 : start + length;
    }

    /** The server answered with an error: not retried. */
    public static final class StatusException extends IOException {
        StatusException(String message) {
            super(message);
        }
    }

    static String sha256(Path file) throws IOException {
        MessageDigest sha = Uploader.sha256();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[64 * 1024];
            for (int n; (n = in.read(buf)) > 0; ) {
                sha.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }
}
