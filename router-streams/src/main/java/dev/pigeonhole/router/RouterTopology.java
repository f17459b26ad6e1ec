package dev.pigeonhole.router;

import dev.pigeonhole.records.Topics;
import java.time.Duration;
import java.util.function.LongSupplier;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * The router's whole topology, built in one place: one source, one processor, three sinks.
 *
 * <pre>
 * pigeonhole-inbox-ops (by user) ─▶ inbox [inbox, inbox-meta, shadows, dedup] ─┬─▶ pigeonhole-push (by delivery instance)
 *                                                                             ├─▶ pigeonhole-router-outbox (by user: notices)
 *                                                                             └─▶ pigeonhole-dead-letters (unreadable records)
 * </pre>
 *
 * Everything that changes an inbox is an operation in one partition of one topic, applied in offset order, so a
 * replay after a crash takes the same decisions. Notices for other inboxes leave through the outbox (committed with
 * the state) and come back as operations through {@code OutboxRelay}.
 *
 * Every node, store and internal topic has a fixed name so changelog topics survive upgrades;
 * {@code RouterTopologyTest} compares {@code describe()} with a checked-in copy.
 */
public final class RouterTopology {
    public static final String DEDUP_STORE = "dedup";
    public static final String INBOX_STORE = "inbox";
    public static final String META_STORE = "inbox-meta";
    public static final String SHADOW_STORE = "shadows";
    static final String SOURCE = "inbox-ops-source";
    static final String PROCESSOR = "inbox";
    static final String PUSH_SINK = "push-sink";
    static final String OUTBOX_SINK = "outbox-sink";
    static final String DEAD_LETTER_SINK = "dead-letter-sink";

    /** What the topology needs to know from the deployment. */
    public record Settings(Duration dedupRetention, Duration sessionExpiry, Retention retention,
                           Duration housekeepingBudget, LongSupplier nanoClock, int maxDevicesPerUser,
                           Shadows.Limits shadowLimits) {
        public Settings(Duration dedupRetention, Duration sessionExpiry, Retention retention,
                        Duration housekeepingBudget, LongSupplier nanoClock, int maxDevicesPerUser) {
            this(dedupRetention, sessionExpiry, retention, housekeepingBudget, nanoClock, maxDevicesPerUser,
                    Shadows.Limits.DEFAULT);
        }

        public Settings {
            if (maxDevicesPerUser < 1) {
                throw new IllegalArgumentException("pigeonhole.router.max-devices-per-user must be at least 1");
            }
        }
    }

    private RouterTopology() {}

    public static Topology build(Settings settings, RouterMetrics metrics) {
        Topology topology = new Topology();
        topology.addSource(SOURCE, new StringDeserializer(), new ByteArrayDeserializer(), Topics.INBOX_OPS.name());
        topology.addProcessor(PROCESSOR, () -> new InboxProcessor(settings, metrics), SOURCE);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(INBOX_STORE),
                Serdes.ByteArray(), Serdes.ByteArray()), PROCESSOR);
        // Cached: a busy inbox's meta changes with every entry; the changelog gets its latest value per commit.
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(META_STORE),
                Serdes.String(), Serdes.serdeFrom((t, m) -> m == null ? null : m.encode(),
                        (t, b) -> b == null ? null : InboxMeta.decode(b))).withCachingEnabled(), PROCESSOR);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(SHADOW_STORE),
                Serdes.String(), Serdes.ByteArray()), PROCESSOR);
        topology.addStateStore(Stores.windowStoreBuilder(
                Stores.persistentWindowStore(DEDUP_STORE, settings.dedupRetention(), Duration.ofMillis(1), false),
                Serdes.String(), Serdes.Long()), PROCESSOR);
        topology.addSink(PUSH_SINK, Topics.PUSH.name(), new StringSerializer(), new ByteArraySerializer(), PROCESSOR);
        topology.addSink(OUTBOX_SINK, Topics.ROUTER_OUTBOX.name(), new StringSerializer(), new ByteArraySerializer(),
                PROCESSOR);
        topology.addSink(DEAD_LETTER_SINK, Topics.DEAD_LETTERS.name(), new StringSerializer(),
                new ByteArraySerializer(), PROCESSOR);
        return topology;
    }
}
