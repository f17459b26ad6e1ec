package dev.pigeonhole.router;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** Operational settings of the router ({@code pigeonhole.router.*}). */
@ConfigMapping(prefix = "pigeonhole.router")
public interface RouterConfig {

    /** Partitions of the inbox operations topic (and the outbox): the router's parallelism. Fixed once data exists. */
    @WithDefault("6")
    int partitions();

    /** Partitions of the push topic; each delivery instance reads one. Keep it above the delivery pod count. */
    @WithDefault("16")
    int pushPartitions();

    /** Replication factor for topics the router creates (1 in the standalone mode, 3 in production). */
    @WithDefault("1")
    short replicationFactor();

    /** {@code min.insync.replicas} of the topics the router creates (its internal topics too). */
    @WithDefault("1")
    int minInsyncReplicas();

    /** Kafka Streams standby replicas: warm copies of each inbox store on other instances, for fast failover. */
    @WithDefault("0")
    int standbyReplicas();

    /**
     * Kafka Streams commit interval. Sends and pushes do not wait for commits (router-streams/DESIGN.md); receipts and
     * notices do, and a crash redoes at most this much work.
     */
    @WithDefault("100")
    int commitIntervalMs();

    /**
     * Off-heap memory of all RocksDB stores of this instance together, in bytes: one shared block cache, memtables
     * charged to it ({@link BoundedRocksDb}). Budget the container for heap + this + about 300 MiB.
     */
    @WithDefault("268435456")
    long rocksdbMemory();

    /** Kafka Streams threads: two let one thread's commit overlap the other's work. */
    @WithDefault("2")
    int streamThreads();

    /** How long a (device, id) is remembered to drop resends (S2). */
    @WithDefault("P7D")
    Duration dedupRetention();

    /** Inbox retention (S5): what is removed from the front of an inbox, and how often that is checked. */
    RetentionConfig retention();

    interface RetentionConfig {
        /** Entries older than this are removed (reason {@code expired}). */
        @WithDefault("P7D")
        Duration maxAge();

        /** An inbox keeps at most this many entries; the oldest go first (reason {@code trimmed}). */
        @WithDefault("100000")
        long maxEntries();

        /**
         * Entries every registered device acked are kept this long (history for new devices, backfill), then
         * removed (reason {@code acked}).
         */
        @WithDefault("P1D")
        Duration ackedMaxAge();

        /** How often the age and acked-entry rules are checked (the next {@code inboxes-per-check} inboxes). */
        @WithDefault("PT30S")
        Duration checkInterval();

        /** Entries removed per inbox per check at most (the rest at the next check). */
        @WithDefault("10000")
        int maxPerCheck();

        /**
         * Inboxes looked at per check and router task; the next check resumes after the last one (a full round over
         * a task's inboxes takes users-per-task / this checks). Size is enforced at append time regardless.
         */
        @WithDefault("10000")
        int inboxesPerCheck();

        /**
         * Time one check may take at most (well below the transaction timeout, 5 s); the next check resumes where it
         * stopped.
         */
        @WithDefault("PT1S")
        Duration checkBudget();
    }

    /**
     * Registered devices per user at most (at least 1). A connect of a further device is refused (close 4105
     * {@code too_many_devices}) until the user removes one; registered devices are never refused, also after the
     * cap was lowered. Like Signal's cap (6 per account) but higher: Signal unlinks devices idle for 30 days, here a
     * registration lasts until {@code DELETE /v1/devices/{device}}, so reinstalls and lost devices keep slots.
     */
    @WithDefault("16")
    int maxDevicesPerUser();

    /**
     * A session ends when its delivery instance has not renewed its lease for this long, or restarted (checked with
     * retention); keep it well above the instances' {@code lease-interval}.
     */
    @WithDefault("PT30M")
    Duration sessionExpiry();

    /** Device shadows (docs/shadow.md). */
    ShadowConfig shadow();

    interface ShadowConfig {
        /** The most JSON bytes of a shadow's {@code desired} and {@code reported} together, after a merge. */
        @WithDefault("8192")
        int maxBytes();

        /** The deepest object nesting below {@code desired} or {@code reported} an update may have. */
        @WithDefault("6")
        int maxDepth();
    }

    /** The largest page the read API returns. */
    @WithDefault("1000")
    int maxPage();

    /** The most entry bytes one page of the read API holds (at least one entry): a reader asks for less with {@code maxBytes}. */
    @WithDefault("1048576")
    long maxPageBytes();

    /** Host other router instances reach this one at (interactive queries); with the HTTP port it is {@code application.server}. */
    @WithDefault("localhost")
    String advertisedHost();

    /** Kafka Streams state directory (RocksDB); persistent storage in production. */
    @WithDefault("/var/lib/pigeonhole/streams")
    String stateDir();

    /** How long start-up waits for Kafka to create or check the topics. */
    @WithDefault("PT60S")
    Duration topicsTimeout();
}
