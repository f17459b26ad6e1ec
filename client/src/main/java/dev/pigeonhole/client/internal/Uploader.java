package dev.pigeonhole.client.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pigeonhole.client.FileAttachment;
import dev.pigeonhole.client.spi.OutboxMessage;
import dev.pigeonhole.client.spi.PendingUpload;
import dev.pigeonhole.client.spi.Uploads;
import dev.pigeonhole.protocol.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Uploads the attachments of outbox messages with tus (docs/protocol.md, Uploads), one chunk at a time, on its own
 * thread: never the caller's or the client loop's. The upload's URL and the finished blob's ref are stored as soon as
 * known, so a restart (even after {@code kill -9}) asks the server's offset ({@code HEAD}) and continues from there.
 * When every attachment of a message is finished, the message goes to the send link ({@link Results#ready}).
 */
public final class Uploader {
    /** Called on the uploader's thread. */
    public interface Results {
        /** All uploads finished: send the message with this {@code attachments} JSON array. */
        void ready(OutboxMessage message, String attachments);

        /** The server refused an upload for good: the message is rejected with its code. */
        void refused(String messageId, String code, String message);

        void progress(String messageId, String file, long sent, long total);
    }

    /** Bytes per PATCH: under ingress-nginx's 1 MiB default body cap, few enough requests on a good link. */
    public static final int CHUNK = 512 * 1024;

    private final HttpClient http;
    private final URI base;
    private final String query;
    private final String token;
    private final Uploads store;
    private final Path copies;
    private final Backoff backoff;
    private final Results results;
    private final ExecutorService worker;

    /** @param copies where attachments are copied to (the data directory's {@code uploads/}), or null to reference them */
    public Uploader(HttpClient http, URI base, String user, String device, String token, Uploads store, Path copies,
                    Backoff backoff, Results results, String name) {
        this.http = http;
        this.base = base;
        this.query = token != null ? "" : "?user=" + URLEncoder.encode(user, StandardCharsets.UTF_8)
                + "&device=" + URLEncoder.encode(device, StandardCharsets.UTF_8);
        this.token = token;
        this.store = store;
        this.copies = copies;
        this.backoff = backoff;
        this.results = results;
        this.worker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "pigeonhole-uploads " + name);
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * On the uploader's thread: copies the files into the data directory (hashing them), stores the message with its
     * attachments in one transaction, calls {@code queued}, then uploads. {@code failed} gets what went wrong before
     * the message was stored.
     */
    public void add(String id, String to, String body, long createdAt, List<FileAttachment> files,
                    java.util.function.Consumer<OutboxMessage> queued, java.util.function.Consumer<RuntimeException> failed) {
        worker.execute(() -> {
            OutboxMessage stored;
            try {
                List<PendingUpload> rows = new ArrayList<>();
                for (int i = 0; i < files.size(); i++) {
                    rows.add(prepare(id, i, files.get(i)));
                }
                stored = store.addWithUploads(id, to, body, createdAt, rows);
            } catch (IOException e) {
                deleteCopies(id);
                failed.accept(new java.io.UncheckedIOException(e));
                return;
            } catch (RuntimeException e) {
                deleteCopies(id);
                failed.accept(e);
                return;
            }
            queued.accept(stored);
            upload(stored);
        });
    }

    /** Uploads what is unfinished of a stored message (after a restart), then hands it over. */
    public void resume(OutboxMessage message) {
        worker.execute(() -> upload(message));
    }

    /** Stops at once: interrupts a request in progress (the server keeps what arrived). */
    public void close() {
        worker.shutdownNow();
        try {
            worker.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The copy in the data directory (or the app's file itself without one) and its SHA-256. */
    private PendingUpload prepare(String id, int index, FileAttachment f) throws IOException {
        Path source = f.file();
        Path target = source;
        MessageDigest sha = sha256();
        if (copies != null) {
            Path dir = Files.createDirectories(copies.resolve(id));
            target = dir.resolve(String.valueOf(index));
            Path tmp = dir.resolve(index + ".tmp");
            try (InputStream in = new DigestInputStream(Files.newInputStream(source), sha)) {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            }
            try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } else {
            try (InputStream in = new DigestInputStream(Files.newInputStream(source), sha)) {
                in.transferTo(java.io.OutputStream.nullOutputStream());
            }
        }
        return new PendingUpload(id, index, target.toString(), Files.size(target), HexFormat.of().formatHex(sha.digest()),
                f.type(), f.name(), f.preview(), null, null);
    }

    /** Deletes the copies of a message (after it was accepted or rejected). */
    public void deleteCopies(String messageId) {
        if (copies == null) {
            return;
        }
        Path dir = copies.resolve(messageId);
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.deleteIfExists(p);
            }
            Files.deleteIfExists(dir);
        } catch (IOException ignored) {
            // gone already, or left for later
        }
    }

    private void upload(OutboxMessage message) {
        for (PendingUpload u : store.uploads(message.id())) {
            if (u.finished()) {
                continue;
            }
            try {
                uploadOne(u);
            } catch (InterruptedException e) {
                return; // closing
            } catch (Refused r) {
                results.refused(message.id(), r.code, r.getMessage());
                return;
            }
        }
        ArrayNode attachments = Json.MAPPER.createArrayNode();
        for (PendingUpload u : store.uploads(message.id())) {
            ObjectNode a = attachments.addObject().put("ref", u.ref()).put("size", u.size()).put("type", u.type());
            if (u.name() != null) {
                a.put("name", u.name());
            }
            if (u.preview() != null) {
                a.put("preview", u.preview());
            }
        }
        results.ready(message, Json.write(attachments));
    }

    /** Retries (with backoff) until the upload finished or was refused for good. */
    private void uploadOne(PendingUpload u) throws InterruptedException, Refused {
        String url = u.uploadUrl();
        long offset = -1; // unknown: ask HEAD
        while (true) {
            try {
                if (url == null) {
                    url = create(u);
                    store.uploadCreated(u.messageId(), u.index(), url);
                    offset = 0;
                    results.progress(u.messageId(), name(u), 0, u.size());
                }
                if (offset < 0) {
                    HttpResponse<String> head = send(HttpRequest.newBuilder(uri(url)).method("HEAD", HttpRequest.BodyPublishers.noBody()));
                    if (head.statusCode() == 404) { // gone (expired, or a checksum mismatch): start over
                        url = null;
                        store.uploadCreated(u.messageId(), u.index(), null);
                        continue;
                    }
                    check(head);
                    if (finish(u, head)) {
                        return;
                    }
                    offset = Long.parseLong(head.headers().firstValue("Upload-Offset").orElseThrow());
                    results.progress(u.messageId(), name(u), offset, u.size());
                }
                offset = patch(u, url, offset);
                if (offset < 0) {
                    return; // finished
                }
                backoff.reset();
            } catch (IOException | RuntimeException e) {
                if (e instanceof Refused r) {
                    throw r;
                }
                offset = -1;
                Thread.sleep(backoff.next().toMillis());
            }
        }
    }

    private String create(PendingUpload u) throws IOException, InterruptedException {
        String metadata = "sha256 " + b64(u.sha256()) + ",filetype " + b64(u.type())
                + (u.name() == null ? "" : ",filename " + b64(u.name()));
        HttpResponse<String> r = send(HttpRequest.newBuilder(uri(base + "/v1/uploads"))
                .header("Upload-Length", String.valueOf(u.size())).header("Upload-Metadata", metadata)
                .POST(HttpRequest.BodyPublishers.noBody()));
        check(r);
        return base.resolve(r.headers().firstValue("Location").orElseThrow(() -> new IOException("no Location"))).toString();
    }

    /** One PATCH from {@code offset}: the new offset, or -1 once finished. */
    private long patch(PendingUpload u, String url, long offset) throws IOException, InterruptedException {
        byte[] chunk = new byte[(int) Math.min(CHUNK, u.size() - offset)];
        try (RandomAccessFile f = new RandomAccessFile(u.file(), "r")) {
            f.seek(offset);
            f.readFully(chunk);
        }
        HttpResponse<String> r = send(HttpRequest.newBuilder(uri(url))
                .header("Content-Type", "application/offset+octet-stream")
                .header("Upload-Offset", String.valueOf(offset))
                .method("PATCH", HttpRequest.BodyPublishers.ofByteArray(chunk)));
        if (r.statusCode() == 409) { // not the server's offset: take its
            return Long.parseLong(r.headers().firstValue("Upload-Offset").orElseThrow(() -> new IOException("409 without offset")));
        }
        check(r);
        if (finish(u, r)) {
            return -1;
        }
        long next = Long.parseLong(r.headers().firstValue("Upload-Offset").orElseThrow(() -> new IOException("no Upload-Offset")));
        results.progress(u.messageId(), name(u), next, u.size());
        return next;
    }

    /** Stores the ref if the answer carries {@code Pigeonhole-Blob}. */
    private boolean finish(PendingUpload u, HttpResponse<?> r) {
        var blob = r.headers().firstValue("Pigeonhole-Blob");
        if (blob.isEmpty()) {
            return false;
        }
        store.uploadFinished(u.messageId(), u.index(), blob.get());
        results.progress(u.messageId(), name(u), u.size(), u.size());
        return true;
    }

    /** 2xx passes; a final refusal throws {@link Refused}; anything else is an IOException (retry). */
    private static void check(HttpResponse<String> r) throws IOException {
        int s = r.statusCode();
        if (s >= 200 && s < 300) {
            return;
        }
        if (s == 400 || s == 413 || s == 415 || s == 422) {
            String code = "invalid_field";
            String message = "HTTP " + s;
            try {
                var error = Json.MAPPER.readTree(r.body());
                code = error.path("code").asText(code);
                message = error.path("message").asText(message);
            } catch (Exception unreadable) {
                // keep the defaults
            }
            throw new Refused(code, message);
        }
        throw new IOException("HTTP " + s);
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        request.header("Tus-Resumable", "1.0.0").timeout(Duration.ofSeconds(60));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String url) {
        return URI.create(url + query);
    }

    private static String name(PendingUpload u) {
        return u.name() != null ? u.name() : Path.of(u.file()).getFileName().toString();
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A final refusal of an upload: the message is rejected with this code. */
    private static final class Refused extends RuntimeException {
        final String code;

        Refused(String code, String message) {
            super(message);
            this.code = code;
        }
    }
}
