package dev.pigeonhole.blobs;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

class FileBlobStoreTest extends BlobStoreContractTest {
    @TempDir
    Path dir;

    @Override
    protected BlobStore open() throws IOException {
        return new FileBlobStore(dir.resolve("blobs"));
    }

    @Override
    protected java.util.OptionalLong allocationBoundFor20MiB() {
        // half the file: one copy of it does not fit; measured 5.7 MB when run alone (cold JIT), less in the suite
        return java.util.OptionalLong.of(10L * 1024 * 1024);
    }
}
