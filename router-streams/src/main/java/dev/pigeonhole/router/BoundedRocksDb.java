package dev.pigeonhole.router;

import java.util.Map;
import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.WriteBufferManager;

/**
 * Bounds the off-heap memory of every RocksDB store of the router together: one block cache (which also holds the
 * index and filter blocks) and one write-buffer manager charging memtables to that cache, shared by all stores of
 * the process, sized by {@code pigeonhole.router.rocksdb-memory} (bytes). Without it each of the dozens of store
 * instances (three stores per partition, plus dedup segments) gets its own default cache and memtables, and the
 * router's RSS grows with the partitions it owns until a container limit kills it. Bloom filters stay on (Kafka
 * Streams' default), and point lookups keep using them.
 *
 * <p>Configured with {@code kafka-streams.rocksdb.config.setter}; Kafka Streams instantiates it per store.
 */
public final class BoundedRocksDb implements RocksDBConfigSetter {
    /** The Streams config key carrying the total budget, in bytes. */
    public static final String MEMORY_CONFIG = "pigeonhole.rocksdb.memory";
    static final long DEFAULT_MEMORY = 256L * 1024 * 1024;

    private static Cache cache;
    private static WriteBufferManager writeBuffers;

    @Override
    public void setConfig(String storeName, Options options, Map<String, Object> configs) {
        long memory = memory(configs.get(MEMORY_CONFIG));
        BlockBasedTableConfig table = (BlockBasedTableConfig) options.tableFormatConfig();
        table.setBlockCache(shared(memory));
        table.setCacheIndexAndFilterBlocks(true);
        table.setCacheIndexAndFilterBlocksWithHighPriority(true);
        table.setPinTopLevelIndexAndFilter(true);
        options.setWriteBufferManager(writeBuffers);
        // small memtables, so many stores fit in the shared budget; flushed sooner, compacted in the background
        options.setWriteBufferSize(Math.max(1L << 20, memory / 32));
        options.setMaxWriteBufferNumber(2);
        options.setTableFormatConfig(table);
    }

    @Override
    public void close(String storeName, Options options) {
        // the cache and the write-buffer manager are shared by every store: never closed per store
    }

    /** The process-wide cache; memtables may use up to half of it. */
    private static synchronized Cache shared(long memory) {
        if (cache == null) {
            cache = new LRUCache(memory, -1, false, 0.1);
            writeBuffers = new WriteBufferManager(memory / 2, cache);
        }
        return cache;
    }

    static long memory(Object configured) {
        if (configured == null || configured.toString().isBlank()) {
            return DEFAULT_MEMORY;
        }
        long bytes = Long.parseLong(configured.toString().trim());
        if (bytes < 16L * 1024 * 1024) {
            throw new IllegalArgumentException(MEMORY_CONFIG + " must be at least 16 MiB, got " + bytes);
        }
        return bytes;
    }
}
