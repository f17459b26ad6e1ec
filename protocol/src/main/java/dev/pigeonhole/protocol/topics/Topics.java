package dev.pigeonhole.protocol.topics;

import dev.pigeonhole.protocol.JsonSerde;
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
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.Serdes;

/** Every topic Pigeonhole services exchange data through. Streams-internal topics are named in the router. */
public final class Topics {
    private static final String DAY = Long.toString(Duration.ofDays(1).toMillis());
    private static final String WEEK = Long.toString(Duration.ofDays(7).toMillis());

    /** Accepted sends, keyed by sender user. Kept a week so a router outage of days loses nothing. */
    public static final Topic<String, SendEnvelope> INBOUND = new Topic<>("pigeonhole-inbound",
            Serdes.String(), new JsonSerde<>(SendEnvelope.class),
            Map.of("cleanup.policy", "delete", "retention.ms", WEEK), false);

    /** Device acks, keyed by user (co-partitioned with the router's inbox). */
    public static final Topic<String, AckRecord> ACKS = new Topic<>("pigeonhole-acks",
            Serdes.String(), new JsonSerde<>(AckRecord.class),
            Map.of("cleanup.policy", "delete", "retention.ms", WEEK), true);

    /** Which delivery instance holds which device's socket, keyed by user (co-partitioned with the inbox). */
    public static final Topic<String, SessionRecord> SESSIONS = new Topic<>("pigeonhole-sessions",
            Serdes.String(), new JsonSerde<>(SessionRecord.class),
            Map.of("cleanup.policy", "delete", "retention.ms", DAY), true);

    /**
     * Live entries for delivery instances, keyed by instance id; an instance reads only the partition its id
     * hashes to. Short retention: it only carries what is live; backlogs are read from the store.
     */
    public static final Topic<String, PushRecord> PUSH = new Topic<>("pigeonhole-push",
            Serdes.String(), new JsonSerde<>(PushRecord.class),
            Map.of("cleanup.policy", "delete", "retention.ms", Long.toString(Duration.ofHours(1).toMillis())), false);

    /**
     * Notices for a user's inbox written by the router itself (receipts, undelivered notices), keyed by that user;
     * the router routes them like sends (through its routed topic) and assigns their {@code seq} when it appends.
     */
    public static final Topic<String, InboxEntry> NOTICES = new Topic<>("pigeonhole-notices",
            Serdes.String(), new JsonSerde<>(InboxEntry.class),
            Map.of("cleanup.policy", "delete", "retention.ms", WEEK), false);

    /**
     * Groups and their members ({@link GroupRecord}), compacted: the latest record per key is the state. Written by
     * the gateway's group API; read whole by every router instance (a global store) and gateway.
     */
    public static final Topic<String, GroupRecord> GROUPS = new Topic<>("pigeonhole-groups",
            Serdes.String(), new JsonSerde<>(GroupRecord.class),
            Map.of("cleanup.policy", "compact", "min.compaction.lag.ms", "0"), false);

    public static final List<Topic<?, ?>> ALL = List.of(INBOUND, ACKS, SESSIONS, PUSH, NOTICES, GROUPS);

    private Topics() {}

    /**
     * Creates the missing topics and checks that the co-partitioned ones have {@code partitions} partitions.
     * Safe to call concurrently from several services.
     *
     * @throws IllegalStateException if an existing co-partitioned topic has another partition count
     */
    public static void ensure(Admin admin, List<Topic<?, ?>> topics, int partitions, int pushPartitions,
                              short replicationFactor, int minInsyncReplicas, Duration timeout) {
        try {
            Set<String> existing = admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            List<NewTopic> missing = new ArrayList<>();
            for (Topic<?, ?> t : topics) {
                if (!existing.contains(t.name())) {
                    int n = t == PUSH ? pushPartitions : partitions;
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
                            + " (pigeonhole.kafka.partitions): they must match");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot create topics: " + e.getMessage(), e);
        }
    }

    /** The partition of {@link #PUSH} a delivery instance reads: the one its id hashes to. */
    public static int pushPartition(String instanceId, int pushPartitions) {
        byte[] key = Serdes.String().serializer().serialize(PUSH.name(), instanceId);
        return org.apache.kafka.common.utils.Utils.toPositive(org.apache.kafka.common.utils.Utils.murmur2(key))
                % pushPartitions;
    }
}
