package dev.pigeonhole.client.internal;

import dev.pigeonhole.client.Attachment;
import dev.pigeonhole.client.Listener;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * {@code ClientOptions.autoDownload}: on the listener's thread, before {@code onMessage}, downloads a message's
 * attachments of at most {@code maxBytes} to {@code dir/<sha256 hex>} (content-addressed: a blob that arrives twice,
 * or an entry handed over again after a crash, is there already; a {@code .part} from a killed process is continued)
 * and hands the message over with {@link Attachment#file()} set. Only while the inbox is online (offline the message
 * is handed over at once, without files); progress goes to {@link Listener#onDownloadProgress} on the same thread.
 */
public final class AutoDownload {
    private static final System.Logger LOG = System.getLogger(AutoDownload.class.getName());
    /** The longest a message waits for one file; the download goes on in the background after it. */
    static final Duration PER_FILE = Duration.ofSeconds(60);

    private final HttpClient http;
    private final URI base;
    private final String user;
    private final String device;
    private final String token;
    private final long maxBytes;
    private final Path dir;
    private final BooleanSupplier online;

    public AutoDownload(HttpClient http, URI base, String user, String device, String token, long maxBytes, Path dir,
                        BooleanSupplier online) {
        this.http = http;
        this.base = base;
        this.user = user;
        this.device = device;
        this.token = token;
        this.maxBytes = maxBytes;
        this.dir = dir;
        this.online = online;
    }

    /** The attachments, those downloaded (now or before) with their file; blocks for the downloads. */
    public List<Attachment> fetch(List<Attachment> attachments, Listener listener) {
        List<Attachment> out = new ArrayList<>(attachments.size());
        for (Attachment a : attachments) {
            out.add(a.size() <= maxBytes && a.ref() != null && a.ref().matches("sha256:[0-9a-f]{64}") ? fetch(a, listener) : a);
        }
        return out;
    }

    private Attachment fetch(Attachment a, Listener listener) {
        Path target = dir.resolve(a.ref().substring("sha256:".length()));
        if (Files.isRegularFile(target)) {
            return a.withFile(target); // hashed when it was downloaded
        }
        if (!online.getAsBoolean()) {
            return a;
        }
        // progress is reported here, on the listener's thread, not on the download's
        LinkedBlockingQueue<long[]> progress = new LinkedBlockingQueue<>();
        try {
            Files.createDirectories(dir);
            CompletableFuture<Path> download = Downloads.download(http, base, user, device, token, a.ref(), target,
                    (received, total) -> progress.add(new long[] {received, total}));
            long deadline = System.nanoTime() + PER_FILE.toNanos();
            while (!download.isDone() && System.nanoTime() < deadline) {
                long[] p = progress.poll(50, TimeUnit.MILLISECONDS);
                if (p != null) {
                    report(listener, a, target, p);
                }
            }
            for (long[] p; (p = progress.poll()) != null; ) {
                report(listener, a, target, p);
            }
            if (!download.isDone()) {
                LOG.log(System.Logger.Level.WARNING, "auto-download of " + a.ref() + " takes longer than " + PER_FILE
                        + "; handing the message over without it (it goes on in the background)");
                return a;
            }
            return a.withFile(download.join());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return a;
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "auto-download of " + a.ref() + " failed: " + e.getMessage());
            return a;
        }
    }

    private static void report(Listener listener, Attachment a, Path target, long[] p) {
        try {
            listener.onDownloadProgress(a.ref(), target, p[0], p[1]);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "listener failed on download progress", e);
        }
    }
}
