package dev.pigeonhole.gateway.uploads;

import dev.pigeonhole.blobs.BlobStore;
import dev.pigeonhole.blobs.FileBlobStore;
import dev.pigeonhole.blobs.S3BlobStore;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Singleton;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import java.io.IOException;
import org.jboss.logging.Logger;

/** The configured {@link BlobStore}: the only place that chooses an implementation. */
@ApplicationScoped
public class BlobStoreProducer {
    private static final Logger LOG = Logger.getLogger(BlobStoreProducer.class);

    @Produces
    @Singleton
    BlobStore store(BlobsConfig config) throws IOException {
        if (config.store() == BlobsConfig.Store.S3) {
            BlobsConfig.S3 s3 = config.s3();
            LOG.infof("blobs in S3 bucket %s%s", s3.bucket().orElse("?"), s3.endpoint().map(e -> " at " + e).orElse(""));
            return new S3BlobStore(new S3BlobStore.Settings(s3.endpoint(), s3.bucket().orElseThrow(
                    () -> new IllegalStateException("pigeonhole.blobs.s3.bucket is required with pigeonhole.blobs.store=s3")),
                    s3.region(), s3.pathStyle(), s3.accessKey(), s3.secretKey(), s3.pieceBytes(), s3.partBytes()));
        }
        LOG.infof("blobs in %s", config.dir().toAbsolutePath());
        return new FileBlobStore(config.dir());
    }

    void close(@Disposes BlobStore store) throws IOException {
        store.close();
    }
}
