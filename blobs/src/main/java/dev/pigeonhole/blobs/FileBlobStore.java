package dev.pigeonhole.blobs;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The store in a directory (the standalone mode keeps it under its data directory). Keys are relative paths; a chunk
 * or blob is written to {@code tmp/} and moved into place, so a visible file is always complete.
 */
public final class FileBlobStore extends KeyedBlobStore {
    private final Path root;
    private final Path tmp;

    public FileBlobStore(Path root) throws IOException {
        this(root, Clock.systemUTC());
    }

    public FileBlobStore(Path root, Clock clock) throws IOException {
        super(clock);
        this.root = root.toAbsolutePath().normalize();
        this.tmp = this.root.resolve("tmp");
        Files.createDirectories(tmp);
    }

    private Path path(String key) {
        return root.resolve(key);
    }

    private Path newTemp() {
        return tmp.resolve(UUID.randomUUID().toString());
    }

    private void publish(Path temp, String key) throws IOException {
        Path target = path(key);
        for (int attempt = 1; ; attempt++) {
            Files.createDirectories(target.getParent());
            try {
                try {
                    Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
                }
                return;
            } catch (NoSuchFileException e) {
                if (attempt == 3 || !Files.exists(temp)) {
                    throw e;
                }
                // a delete removed the (then empty) directory between its creation and the move: again
            }
        }
    }

    @Override
    void putSmall(String key, byte[] data) throws IOException {
        Path temp = newTemp();
        Files.write(temp, data);
        publish(temp, key);
    }

    @Override
    Optional<byte[]> getSmall(String key) throws IOException {
        try {
            return Optional.of(Files.readAllBytes(path(key)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    @Override
    InputStream get(String key, long start, long length) throws IOException {
        FileChannel channel = FileChannel.open(path(key), StandardOpenOption.READ);
        channel.position(start);
        return new Limited(Channels.newInputStream(channel), length, false, false);
    }

    @Override
    Optional<Entry> stat(String key) throws IOException {
        try {
            BasicFileAttributes a = Files.readAttributes(path(key), BasicFileAttributes.class);
            return Optional.of(new Entry(key, a.size(), a.lastModifiedTime().toInstant()));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    @Override
    List<Entry> list(String prefix) throws IOException {
        Path dir = path(prefix);
        List<Entry> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                try {
                    BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
                    if (a.isRegularFile()) {
                        out.add(new Entry(root.relativize(p).toString().replace('\\', '/'), a.size(),
                                a.lastModifiedTime().toInstant()));
                    }
                } catch (NoSuchFileException e) {
                    // deleted while listing
                }
            }
        } catch (java.io.UncheckedIOException e) {
            if (!(e.getCause() instanceof NoSuchFileException)) {
                throw e.getCause();
            }
        }
        return out;
    }

    @Override
    void delete(String key) throws IOException {
        Path p = path(key);
        Files.deleteIfExists(p);
        // drop directories left empty, up to the top-level one (blobs/, uploads/, owners/)
        for (Path dir = p.getParent(); dir != null && dir.getNameCount() > root.getNameCount() + 1;
             dir = dir.getParent()) {
            try {
                Files.deleteIfExists(dir);
            } catch (DirectoryNotEmptyException e) {
                return;
            }
        }
    }

    @Override
    long writeChunks(String prefix, long offset, InputStream in, long remaining) throws IOException, BlobException {
        Path temp = newTemp();
        Limited limited = new Limited(in, remaining);
        long written = 0;
        IOException failed = null;
        try (OutputStream out = Files.newOutputStream(temp)) {
            byte[] buffer = new byte[64 * 1024];
            int n;
            try {
                while ((n = limited.read(buffer)) >= 0) {
                    out.write(buffer, 0, n);
                    written += n;
                }
            } catch (IOException e) {
                failed = e; // keep what arrived: the client resumes after it
            }
        }
        if (limited.exceeded()) {
            Files.deleteIfExists(temp);
            throw new BlobException(BlobError.UPLOAD_OVERFLOW, "more bytes than the declared length");
        }
        if (written > 0) {
            publish(temp, chunkKey(prefix, offset, written));
        } else {
            Files.deleteIfExists(temp);
        }
        if (failed != null) {
            throw failed;
        }
        return written;
    }

    @Override
    boolean putIfVerified(String key, InputStream content, long length, Verifier verified) throws IOException {
        Path temp = newTemp();
        try {
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                content.transferTo(Channels.newOutputStream(out));
                out.force(true);
            }
            if (!verified.ok()) {
                return false;
            }
            publish(temp, key);
            return true;
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
