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

    private Downloads() {}

    public static CompletableFuture<Path> download(HttpClient http, URI base, String user, String device, String token,
                                                   String ref, Path target) {
        if (ref == null || !ref.matches("sha256:[0-9a-f]{64}")) {
            throw new IllegalArgumentException("a ref is sha256:<64 lowercase hex>");
        }
        String query = token != null ? "" : "?user=" + URLEncoder.encode(user, StandardCharsets.UTF_8)
                + "&device=" + URLEncoder.encode(device, StandardCharsets.UTF_8);
        URI uri = URI.create(base + "/v1/blobs/" + ref + query);
        CompletableFuture<Path> result = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                result.complete(run(http, uri, token, ref, target));
            } catch (Exception e) {
                result.completeExceptionally(e);
            }
        }, "pigeonhole-download");
        t.setDaemon(true);
        t.start();
        return result;
    }

    private static Path run(HttpClient http, URI uri, String token, String ref, Path target) throws Exception {
        Path part = target.resolveSibling(target.getFileName() + ".part");
        for (int attempt = 1; ; attempt++) {
            try {
                fetch(http, uri, token, part);
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
    private static void fetch(HttpClient http, URI uri, String token, Path part) throws IOException, InterruptedException {
        long have = Files.exists(part) ? Files.size(part) : 0;
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).GET();
        if (have > 0) {
            request.header("Range", "bytes=" + have + "-");
        }
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        HttpResponse<Path> r = http.send(request.build(), info -> switch (info.statusCode()) {
            case 206 -> HttpResponse.BodySubscribers.ofFile(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND);
            case 200 -> HttpResponse.BodySubscribers.ofFile(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
            default -> HttpResponse.BodySubscribers.replacing(null);
        });
        int s = r.statusCode();
        if (s == 416 && have > 0) {
            return; // the .part already has every byte
        }
        if (s != 200 && s != 206) {
            throw new StatusException("HTTP " + s + " for " + uri.getPath());
        }
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
