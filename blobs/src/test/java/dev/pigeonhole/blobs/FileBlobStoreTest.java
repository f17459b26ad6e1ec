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
}
