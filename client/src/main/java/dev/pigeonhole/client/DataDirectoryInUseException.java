package dev.pigeonhole.client;

import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * {@link PigeonholeClient#start} found the data directory in use: another client (in this or another process) holds
 * its lock file ({@code pigeonhole.lock}, locked with {@link java.nio.channels.FileChannel#tryLock()} for as long as
 * that client runs). One client per data directory: the outbox and the inbox position have one writer.
 */
public final class DataDirectoryInUseException extends IllegalStateException {
    private final transient Path dataDir;
    private final long holderPid;

    public DataDirectoryInUseException(Path dataDir, long holderPid) {
        super("data directory " + dataDir + " is used by another client"
                + (holderPid > 0 ? " (pid " + holderPid + ")" : ""));
        this.dataDir = dataDir;
        this.holderPid = holderPid;
    }

    /** The data directory that is in use. */
    public Path dataDir() {
        return dataDir;
    }

    /** The process that holds the lock, as it wrote itself into the lock file (empty if unknown). */
    public OptionalLong holderPid() {
        return holderPid > 0 ? OptionalLong.of(holderPid) : OptionalLong.empty();
    }
}
