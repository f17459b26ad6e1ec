package dev.pigeonhole.records;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.Serdes;

/**
 * Every topic Pigeonhole services exchange data through. Streams-internal topics are named in the router.
 *
 * <p>Every name starts with {@link #PREFIX}, so two releases can share one Kafka cluster.
 */
public final class Topics {
    private static final String WEEK = Long.toString(Duration.ofDays(7).toMillis());

    /** Config {@code pigeonhole.topic-prefix}, env {@code PIGEONHOLE_TOPIC_PREFIX}. */
    public static final String PREFIX_PROPERTY = "pigeonhole.topic-prefix";
    public static final String DEFAULT_PREFIX = "pigeonhole-";

    /**
     * The start of every topic name here and of the router's {@code application.id} ({@code <prefix>router-v2}, so
     * also of its internal topics, consumer groups and transactional ids). Read once from the system property or the
     * environment variable, not from MicroProfile Config: the names are constants, used before and outside Quarkus
     * (the standalone launcher runs every service in one JVM: they all see the same). {@link KafkaClientSettings#common}
     * checks that the service's config agrees.
     */
    public static final String PREFIX = prefix(System.getProperty(PREFIX_PROPERTY), System.getenv("PIGEONHOLE_TOPIC_PREFIX"));

    /**
     * Every operation on an inbox, keyed by the inbox's user (co-partitioned with the router's inbox stores): message
     * copies written by the gateway (one per recipient inbox and one for the sender's own), notices relayed from
     * {@link #ROUTER_OUTBOX}, and delivery's connects and acks. The router's only input; its offset order decides.
     * Kept a week so a router outage of days loses nothing. Writers are never transactional, so a read_committed
     * reader never waits for a transaction here.
     */
    public static final Topic<String, InboxOp> INBOX_OPS = new Topic<>(PREFIX + "inbox-ops",
            Serdes.String(), new BinarySerde<>(InboxOp::encode, InboxOp::decode),
            Map.of("cleanup.policy", "delete", "retention.ms", WEEK), true);

    /**
     * Live entries for delivery instances, keyed by instance id; an instance reads only the partition its id
     * hashes to. Short retention: it only carries what is live; backlogs are read from the store.
     */
    public static final Topic<String, Push> PUSH = new Topic<>(PREFIX + "push",
            Serdes.String(), new BinarySerde<>(Push::encode, Push::decode),
            Map.of("cleanup.policy", "delete", "retention.ms", Long.toString(Duration.ofHours(1).toMillis())), false);

    /**
     * Operations the router itself creates for other inboxes (receipts, undelivered notices), keyed by that inbox's
     * user, written in the router's transactions. A relay copies committed records to {@link #INBOX_OPS}
     * (at least once; the inbox drops the second copy by the notice's id).
     */
    public static final Topic<String, InboxOp> ROUTER_OUTBOX = new Topic<>(PREFIX + "router-outbox",
            Serdes.String(), new BinarySerde<>(InboxOp::encode, InboxOp::decode),
            Map.of("cleanup.policy", "delete", "retention.ms", WEEK), false);

    /**
     * Records the router could not read (corrupt, or written by a newer build), with the reason in headers
     * ({@code pigeonhole.reason}, {@code pigeonhole.source}); never dropped silently. Kept four weeks.
     */
    public static final Topic<String, byte[]> DEAD_LETTERS = new Topic<>(PREFIX + "dead-letters",
            Serdes.String(), Serdes.ByteArray(),
            Map.of("cleanup.policy", "delete", "retention.ms", Long.toString(Duration.ofDays(28).toMillis())), false);

    /**
     * Groups and their members ({@link GroupRecord}), compacted: the latest record per key is the state. Written and
     * read whole by the gateways (each holds a view); a group send is fanned out by the gateway from its view.
     */
    public static final Topic<String, GroupRecord> GROUPS = new Topic<>(PREFIX + "groups",
            Serdes.String(), new JsonSerde<>(GroupRecord.class),
            Map.of("cleanup.policy", "compact", "min.compaction.lag.ms", "0"), false);

    public static final List<Topic<?, ?>> ALL = List.of(INBOX_OPS, PUSH, ROUTER_OUTBOX, DEAD_LETTERS, GROUPS);

    private Topics() {}

    /** The prefix from the system property, else the environment, else {@link #DEFAULT_PREFIX} (blank: unset). */
    static String prefix(String property, String env) {
        String prefix = property != null && !property.isBlank() ? property
                : env != null && !env.isBlank() ? env : DEFAULT_PREFIX;
        // Kafka's rule for topic names (and application ids); checked here so a bad value fails at start, once
        if (!prefix.matches("[a-zA-Z0-9._-]{1,100}")) {
            throw new IllegalArgumentException(PREFIX_PROPERTY + " '" + prefix
                    + "' may only hold ASCII letters, digits, '.', '_' and '-' (at most 100)");
        }
        return prefix;
    }

    /** The name {@code topic} has in a deployment whose prefix is {@code prefix} (ACLs, tests, tools). */
    public static String name(String prefix, Topic<?, ?> topic) {
        return prefix + topic.name().substring(PREFIX.length());
    }

    /**
     * Creates the missing topics and checks that the co-partitioned ones have {@code partitions} partitions.
     * Safe to call concurrently from several services.
     *
     * @throws IllegalStateException if an existing co-partitioned topic has another partition count
     */
    public static void ensure(Admin admin, List<Topic<?, ?>> topics, int partitions, int pushPartitions,
                              short replicationFactor, int minInsyncReplicas, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (true) {
                try {
                    ensureOnce(admin, topics, partitions, pushPartitions, replicationFactor, minInsyncReplicas, timeout);
                    return;
                } catch (ExecutionException e) {
                    // e.g. a topic another service just created is not known to every broker yet: ask again; a
                    // missing topic this user may not create may be on its way from the operator (a KafkaTopic)
                    if (!(e.getCause() instanceof org.apache.kafka.common.errors.RetriableException
                                || e.getCause() instanceof TopicAuthorizationException)
                            || System.nanoTime() > deadline) {
                        throw e;
                    }
                    Thread.sleep(500);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TopicAuthorizationException) {
                throw new IllegalStateException("topics are missing, or not visible to this Kafka user, and it may not "
                        + "create them (" + e.getCause().getMessage() + "): create them beforehand (KafkaTopics), or "
                        + "grant this user Describe and Create on them (docs/operations.md)", e);
            }
            throw new IllegalStateException("cannot create topics: " + e.getMessage(), e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("cannot create topics: " + e.getMessage(), e);
        }
    }

    private static void ensureOnce(Admin admin, List<Topic<?, ?>> topics, int partitions, int pushPartitions,
                                   short replicationFactor, int minInsyncReplicas, Duration timeout)
            throws ExecutionException, TimeoutException, InterruptedException {
        Set<String> existing = admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        List<NewTopic> missing = new ArrayList<>();
        for (Topic<?, ?> t : topics) {
            if (!existing.contains(t.name())) {
                int n = t == PUSH ? pushPartitions : t == DEAD_LETTERS ? 1 : partitions;
                Map<String, String> config = new java.util.HashMap<>(t.config());
                config.put("min.insync.replicas", Integer.toString(minInsyncReplicas));
                missing.add(new NewTopic(t.name(), n, replicationFactor).configs(config));
            }
        }
        for (var f : admin.createTopics(missing).values().values()) {
            try {
                f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
            }
        }
        Set<String> copartitioned = topics.stream().filter(Topic::copartitioned).map(Topic::name)
                .collect(Collectors.toSet());
        Map<String, TopicDescription> described = admin.describeTopics(copartitioned).allTopicNames()
                .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        for (TopicDescription d : described.values()) {
            if (d.partitions().size() != partitions) {
                throw new IllegalStateException("topic " + d.name() + " has " + d.partitions().size()
                        + " partitions; the router is configured for " + partitions
                        + " (pigeonhole.router.partitions): they must match");
            }
        }
    }

    /** The partition of {@link #PUSH} a delivery instance reads: the one its id hashes to. */
    public static int pushPartition(String instanceId, int pushPartitions) {
        return partitionOf(instanceId, pushPartitions);
    }

    /** The partition the producer's default partitioner picks for a record keyed by {@code key} (a user's inbox). */
    public static int partitionOf(String key, int partitions) {
        byte[] bytes = Serdes.String().serializer().serialize(PUSH.name(), key);
        return org.apache.kafka.common.utils.Utils.toPositive(org.apache.kafka.common.utils.Utils.murmur2(bytes))
                % partitions;
    }
}
