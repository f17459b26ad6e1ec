package dev.pigeonhole.blobs;

import java.time.Instant;

/** A stored blob: its reference, size, and when it was stored (for the collector's grace period). */
public record BlobInfo(BlobRef ref, long size, Instant storedAt) {
}
