package dev.pigeonhole.gateway.uploads;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** Where blobs are kept and how uploads are limited ({@code pigeonhole.blobs.*}; docs/operations.md). */
@ConfigMapping(prefix = "pigeonhole.blobs")
public interface BlobsConfig {

    /** {@code fs}: a directory (one instance, or a shared volume); {@code s3}: an S3 bucket (several pods). */
    @WithDefault("fs")
    Store store();

    enum Store { FS, S3 }

    /** The directory of the {@code fs} store (the standalone mode uses {@code <data-dir>/blobs}). */
    @WithDefault("data/blobs")
    Path dir();

    /** Largest blob a user may upload (declared {@code Upload-Length}); larger: 413 {@code too_large}. */
    @WithDefault("104857600")
    long maxBlobBytes();

    /** Unfinished uploads one user may have at once; more: 429 {@code too_many_uploads}. */
    @WithDefault("20")
    int maxOpenUploadsPerUser();

    /**
     * An unfinished upload that received no bytes for this long no longer counts against
     * {@code max-open-uploads-per-user} (a client that lost its upload ids is not locked out), and the collector
     * removes it.
     */
    @WithDefault("P1D")
    Duration uploadTimeout();

    /**
     * Total bytes of the blobs one user's finished uploads hold plus their open uploads' declared lengths; an upload
     * that would pass it: 413 {@code quota_exceeded}.
     */
    @WithDefault("1073741824")
    long quotaBytesPerUser();

    /**
     * How long a blob outlives its last reference: past inbox retention ({@code pigeonhole.router.retention.max-age})
     * for a blob some message referenced, past its upload for one no message referenced.
     */
    @WithDefault("P1D")
    Duration grace();

    /** How often the collector runs on each gateway (0: never). */
    @WithDefault("PT1H")
    Duration collectInterval();

    /** A {@code PATCH} whose body stalls this long is ended: the bytes received so far are kept. */
    @WithDefault("PT30S")
    Duration bodyIdleTimeout();

    S3 s3();

    interface S3 {
        /** For S3-compatible servers, e.g. {@code http://minio:9000}; unset for AWS. */
        Optional<URI> endpoint();

        Optional<String> bucket();

        @WithDefault("us-east-1")
        String region();

        /** {@code http://host/bucket/key} addressing (most S3-compatible servers want it). */
        @WithDefault("false")
        boolean pathStyle();

        /** With {@code secret-key}; unset: the AWS SDK's default credential chain (env, profile, IAM role). */
        Optional<String> accessKey();

        Optional<String> secretKey();

        /** The largest chunk object one {@code PATCH} writes: the memory one upload request holds. */
        @WithDefault("1048576")
        int pieceBytes();

        /** Multipart part size when an upload is finished (S3 wants at least 5 MiB). */
        @WithDefault("8388608")
        long partBytes();
    }
}
