package dev.pigeonhole.gateway.uploads;

import dev.pigeonhole.blobs.BlobStore;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import java.util.Optional;
import org.jboss.logging.Logger;

/** The blob store for sends, downloads and the collector; empty when it cannot be opened (attachments are off). */
@ApplicationScoped
public class BlobAccess {
    private static final Logger LOG = Logger.getLogger(BlobAccess.class);
    private final BlobStore store;

    BlobAccess(Instance<BlobStore> stores) {
        BlobStore opened = null;
        try {
            opened = stores.get();
        } catch (RuntimeException e) {
            LOG.errorf("attachments and downloads are off: the blob store cannot be opened (%s)", e.toString());
        }
        this.store = opened;
    }

    public Optional<BlobStore> store() {
        return Optional.ofNullable(store);
    }
}
