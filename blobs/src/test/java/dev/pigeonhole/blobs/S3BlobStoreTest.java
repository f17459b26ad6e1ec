package dev.pigeonhole.blobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The contract against a real S3 server: s3proxy on a filesystem backend, in-process on 127.0.0.1. */
class S3BlobStoreTest extends BlobStoreContractTest {
    static final int PIECE = 256 * 1024;
    private static final AtomicInteger BUCKETS = new AtomicInteger();
    private static Path dir;
    private static BlobStoreContext context;
    private static S3Proxy proxy;
    private String bucket;

    @BeforeAll
    static void startS3() throws Exception {
        dir = Files.createTempDirectory("pigeonhole-s3proxy");
        Properties props = new Properties();
        props.setProperty("jclouds.filesystem.basedir", dir.toString());
        context = ContextBuilder.newBuilder("filesystem").overrides(props).build(BlobStoreContext.class);
        proxy = S3Proxy.builder().blobStore(context.getBlobStore()).endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, "test-access", "test-secret").build();
        proxy.start();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!AbstractLifeCycle.STARTED.equals(proxy.getState()) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }

    @AfterAll
    static void stopS3() throws Exception {
        if (proxy != null) {
            proxy.stop();
        }
        if (context != null) {
            context.close();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @BeforeEach
    @Override
    void start() throws IOException {
        bucket = "test-" + BUCKETS.incrementAndGet();
        context.getBlobStore().createContainerInLocation(null, bucket);
        super.start();
    }

    @Override
    protected BlobStore open() {
        return new S3BlobStore(new S3BlobStore.Settings(Optional.of(URI.create("http://127.0.0.1:" + proxy.getPort())),
                bucket, "us-east-1", true, Optional.of("test-access"), Optional.of("test-secret"), PIECE,
                S3BlobStore.MIN_PART));
    }

    @Test
    void oneLargeAppendIsStoredInBoundedPieces() throws Exception {
        byte[] content = bytes(3 * 1024 * 1024 + 5, 20);
        UploadInfo up = store.create(declare("alice", content));
        store.append("alice", up.id(), 0, in(content, 0, content.length));
        var chunks = ((S3BlobStore) store).list("uploads/").stream().filter(e -> !e.key().endsWith("/meta")).toList();
        assertThat(chunks).hasSize(13);
        assertThat(chunks).allSatisfy(e -> assertThat(e.size()).isLessThanOrEqualTo(PIECE));
        assertThat(store.finish("alice", up.id()).blob()).contains(sha(content));
        assertThat(((S3BlobStore) store).list("uploads/")).extracting(KeyedBlobStore.Entry::key).allMatch(k -> k.endsWith("/meta"));
    }
}
