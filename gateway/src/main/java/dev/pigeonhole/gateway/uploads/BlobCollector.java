package dev.pigeonhole.gateway.uploads;

import dev.pigeonhole.blobs.BlobInfo;
import dev.pigeonhole.blobs.BlobRef;
import dev.pigeonhole.blobs.BlobStore;
import dev.pigeonhole.blobs.UploadInfo;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;

/**
 * One pass of the blob collector (blobs/DESIGN.md, Lifetime). Every decision is read from the store and every step
 * is idempotent, so passes may run on several pods at once: two pods deleting the same blob both succeed.
 *
 * <ul>
 *   <li>an unfinished upload without bytes for {@code uploadTimeout} is abandoned;</li>
 *   <li>a blob is deleted (with its marks and grants, and its owners' finished upload records) when its newest grant
 *       is older than {@code retention + grace} and its newest owner mark (and the blob itself) older than
 *       {@code grace}: no retained inbox entry can still reference it;</li>
 *   <li>a finished upload record whose blob is gone is removed.</li>
 * </ul>
 */
public final class BlobCollector {
    /** What one pass removed. */
    public record Result(int uploads, int blobs, int records) {}

    private final BlobStore store;
    private final Duration uploadTimeout;
    private final Duration retention;
    private final Duration grace;

    public BlobCollector(BlobStore store, Duration uploadTimeout, Duration retention, Duration grace) {
        this.store = store;
        this.uploadTimeout = uploadTimeout;
        this.retention = retention;
        this.grace = grace;
    }

    public Result collect(Instant now) throws IOException {
        int uploads = 0;
        int blobs = 0;
        int records = 0;
        for (UploadInfo u : store.uploads()) {
            if (!u.complete() && u.updatedAt().isBefore(now.minus(uploadTimeout)) && store.abandon(u.owner(), u.id())) {
                uploads++;
            }
        }
        for (BlobInfo b : store.blobs()) {
            if (referenced(b, now)) {
                continue;
            }
            Set<String> owners = store.owners(b.ref());
            if (referenced(b, now)) {
                continue; // a send granted it meanwhile: ask once more, just before the delete
            }
            if (store.delete(b.ref())) {
                blobs++;
            }
            for (String owner : owners) {
                records += dropRecords(owner, b.ref());
            }
        }
        for (UploadInfo u : store.uploads()) {
            if (u.complete() && u.updatedAt().isBefore(now.minus(grace)) && store.blob(u.blob().get()).isEmpty()
                    && store.abandon(u.owner(), u.id())) {
                records++; // e.g. a pod stopped between the delete and the records above
            }
        }
        return new Result(uploads, blobs, records);
    }

    private boolean referenced(BlobInfo b, Instant now) throws IOException {
        BlobStore.Marks marks = store.marks(b.ref());
        if (marks.lastGranted() != null && marks.lastGranted().isAfter(now.minus(retention).minus(grace))) {
            return true;
        }
        Instant owned = marks.lastOwned() == null || marks.lastOwned().isBefore(b.storedAt()) ? b.storedAt() : marks.lastOwned();
        return owned.isAfter(now.minus(grace));
    }

    private int dropRecords(String owner, BlobRef ref) throws IOException {
        int n = 0;
        for (UploadInfo u : store.uploads(owner)) {
            if (u.blob().filter(ref::equals).isPresent() && store.abandon(owner, u.id())) {
                n++;
            }
        }
        return n;
    }
}
