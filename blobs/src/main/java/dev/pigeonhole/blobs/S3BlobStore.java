package dev.pigeonhole.blobs;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The store in an S3 bucket (AWS S3 or an S3-compatible server), on the AWS SDK v2. An append is stored as chunk
 * objects of at most {@link Settings#pieceBytes()} each (the only buffer, so memory per append is bounded whatever
 * the append's size); finishing streams the chunks, hashing them, into a multipart upload of
 * {@link Settings#partBytes()}-sized parts (S3 wants at least 5 MiB per part but the last), completed only when the
 * hash matches. Why this shape: blobs/DESIGN.md.
 */
public final class S3BlobStore extends KeyedBlobStore {
    static final long MIN_PART = 5L * 1024 * 1024;

    /**
     * @param endpoint   e.g. {@code http://127.0.0.1:9000} for an S3-compatible server; empty for AWS
     * @param accessKey  with {@code secretKey}; empty: the SDK's default credential chain (env, profile, IAM role)
     * @param pathStyle  {@code http://host/bucket/key} instead of {@code http://bucket.host/key}
     * @param pieceBytes the largest chunk object an append writes (its buffer)
     * @param partBytes  multipart part size at finish; at least 5 MiB
     */
    public record Settings(Optional<URI> endpoint, String bucket, String region, boolean pathStyle,
                           Optional<String> accessKey, Optional<String> secretKey, int pieceBytes, long partBytes) {
        public Settings {
            if (bucket == null || bucket.isBlank()) {
                throw new IllegalArgumentException("an S3 bucket is required");
            }
            if (partBytes < MIN_PART) {
                throw new IllegalArgumentException("S3 parts are at least 5 MiB");
            }
            if (pieceBytes < 1) {
                throw new IllegalArgumentException("piece size must be positive");
            }
        }
    }

    private final S3Client s3;
    private final Settings settings;

    public S3BlobStore(Settings settings) {
        this(settings, Clock.systemUTC());
    }

    public S3BlobStore(Settings settings, Clock clock) {
        super(clock);
        this.settings = settings;
        AwsCredentialsProvider credentials = settings.accessKey().isPresent() && settings.secretKey().isPresent()
                ? StaticCredentialsProvider.create(AwsBasicCredentials.create(settings.accessKey().get(),
                        settings.secretKey().get()))
                : DefaultCredentialsProvider.builder().build();
        var builder = S3Client.builder().httpClientBuilder(UrlConnectionHttpClient.builder())
                .region(Region.of(settings.region())).credentialsProvider(credentials)
                .forcePathStyle(settings.pathStyle())
                // Checksums only where S3 requires them: the SDK's default trailing checksums (2.30+) are not
                // understood by every S3-compatible server; the blob's SHA-256 is checked by finish anyway.
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
        settings.endpoint().ifPresent(builder::endpointOverride);
        this.s3 = builder.build();
    }

    private String bucket() {
        return settings.bucket();
    }

    @Override
    void putSmall(String key, byte[] data) throws IOException {
        try {
            s3.putObject(b -> b.bucket(bucket()).key(key), RequestBody.fromBytes(data));
        } catch (SdkException e) {
            throw new IOException("S3 put " + key + ": " + e.getMessage(), e);
        }
    }

    @Override
    Optional<byte[]> getSmall(String key) throws IOException {
        try {
            return Optional.of(s3.getObjectAsBytes(b -> b.bucket(bucket()).key(key)).asByteArray());
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (SdkException e) {
            throw new IOException("S3 get " + key + ": " + e.getMessage(), e);
        }
    }

    @Override
    InputStream get(String key, long start, long length) throws IOException {
        if (length == 0) {
            return InputStream.nullInputStream();
        }
        try {
            return s3.getObject(b -> b.bucket(bucket()).key(key).range("bytes=" + start + "-" + (start + length - 1)));
        } catch (SdkException e) {
            throw new IOException("S3 get " + key + ": " + e.getMessage(), e);
        }
    }

    @Override
    Optional<Entry> stat(String key) throws IOException {
        try {
            HeadObjectResponse head = s3.headObject(b -> b.bucket(bucket()).key(key));
            return Optional.of(new Entry(key, head.contentLength(), head.lastModified()));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return Optional.empty();
            }
            throw new IOException("S3 head " + key + ": " + e.getMessage(), e);
        } catch (SdkException e) {
            throw new IOException("S3 head " + key + ": " + e.getMessage(), e);
        }
    }

    @Override
    List<Entry> list(String prefix) throws IOException {
        List<Entry> out = new ArrayList<>();
        try {
            for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(bucket()).prefix(prefix)).contents()) {
                if (!o.key().endsWith("/")) { // a directory marker some servers list, not an object of ours
                    out.add(new Entry(o.key(), o.size(), o.lastModified()));
                }
            }
        } catch (SdkException e) {
            throw new IOException("S3 list " + prefix + ": " + e.getMessage(), e);
        }
        return out;
    }

    @Override
    void delete(String key) throws IOException {
        try {
            s3.deleteObject(b -> b.bucket(bucket()).key(key));
        } catch (SdkException e) {
            throw new IOException("S3 delete " + key + ": " + e.getMessage(), e);
        }
    }

    @Override
    long writeChunks(String prefix, long offset, InputStream in, long remaining) throws IOException, BlobException {
        Limited limited = new Limited(in, remaining);
        byte[] piece = new byte[(int) Math.min(settings.pieceBytes(), Math.max(1, remaining))];
        List<String> stored = new ArrayList<>();
        long written = 0;
        while (true) {
            int filled = 0;
            IOException failed = null;
            try {
                int n;
                while (filled < piece.length && (n = limited.read(piece, filled, piece.length - filled)) >= 0) {
                    filled += n;
                }
            } catch (IOException e) {
                failed = e; // keep what arrived: the client resumes after it
            }
            if (limited.exceeded()) {
                for (String key : stored) {
                    delete(key);
                }
                throw new BlobException(BlobError.UPLOAD_OVERFLOW, "more bytes than the declared length");
            }
            if (filled > 0) {
                String key = chunkKey(prefix, offset + written, filled);
                putSmall(key, filled == piece.length ? piece : java.util.Arrays.copyOf(piece, filled));
                stored.add(key);
                written += filled;
            }
            if (failed != null) {
                throw failed;
            }
            if (filled < piece.length) {
                return written; // end of input
            }
            if (written == remaining) {
                // the piece ended exactly at the declared length: one more read tells whether the input has more
                if (limited.read() >= 0 || limited.exceeded()) {
                    for (String key : stored) {
                        delete(key);
                    }
                    throw new BlobException(BlobError.UPLOAD_OVERFLOW, "more bytes than the declared length");
                }
                return written;
            }
        }
    }

    @Override
    boolean putIfVerified(String key, InputStream content, long length, Verifier verified) throws IOException {
        if (length == 0) {
            if (!verified.ok()) {
                return false;
            }
            putSmall(key, new byte[0]);
            return true;
        }
        String uploadId;
        try {
            uploadId = s3.createMultipartUpload(b -> b.bucket(bucket()).key(key)).uploadId();
        } catch (SdkException e) {
            throw new IOException("S3 create multipart " + key + ": " + e.getMessage(), e);
        }
        boolean completed = false;
        try {
            List<CompletedPart> parts = new ArrayList<>();
            long sent = 0;
            for (int number = 1; sent < length; number++) {
                long size = Math.min(settings.partBytes(), length - sent);
                int partNumber = number;
                String etag = s3.uploadPart(b -> b.bucket(bucket()).key(key).uploadId(uploadId).partNumber(partNumber)
                                .contentLength(size),
                        RequestBody.fromInputStream(Limited.view(content, size), size)).eTag();
                parts.add(CompletedPart.builder().partNumber(partNumber).eTag(etag).build());
                sent += size;
            }
            if (!verified.ok()) {
                return false;
            }
            s3.completeMultipartUpload(b -> b.bucket(bucket()).key(key).uploadId(uploadId)
                    .multipartUpload(CompletedMultipartUpload.builder().parts(parts).build()));
            completed = true;
            return true;
        } catch (SdkException e) {
            throw new IOException("S3 multipart " + key + ": " + e.getMessage(), e);
        } finally {
            if (!completed) {
                try {
                    s3.abortMultipartUpload(b -> b.bucket(bucket()).key(key).uploadId(uploadId));
                } catch (SdkException e) {
                    // the bucket's lifecycle rule for incomplete multipart uploads removes it (docs/operations.md)
                }
            }
        }
    }

    @Override
    public void close() {
        s3.close();
    }
}
