package dev.pigeonhole.router;

import dev.pigeonhole.protocol.JsonSerde;
import dev.pigeonhole.protocol.topics.GroupRecord;
import dev.pigeonhole.protocol.topics.InboxEntry;
import dev.pigeonhole.protocol.topics.PushRecord;
import dev.pigeonhole.protocol.topics.Topic;
import dev.pigeonhole.protocol.topics.Topics;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.Stores;

/**
 * The router's whole topology, built in one place.
 *
 * <pre>
 * inbound (by sender) ─▶ dedup-fan-out [dedup, groups*] ─┬─▶ routed repartition (by recipient)
 * notices (by user) ────────────────────────────────────┘
 *   routed   ─▶ inbox-append  [inbox, inbox-meta, sessions] + retention ─┐
 *   sessions ─▶ session-track [inbox-meta, sessions] ────────────────────┤─▶ push    (by delivery instance)
 *   acks     ─▶ ack-apply     [inbox, inbox-meta, sessions] ─────────────┘─▶ notices (by user: receipts, undelivered)
 *   groups (compacted) ─▶ groups* (global store: every instance holds all groups)
 * </pre>
 *
 * Every append to an inbox comes from one partition of the routed topic — notices included — so a replay after
 * a crash assigns the same seqs in the same order (exactly-once), whatever the interleaving of the input topics.
 *
 * Every node, store and internal topic has a fixed name so changelog and repartition topics survive upgrades;
 * {@code RouterTopologyTest} compares {@code describe()} with a checked-in copy.
 */
public final class RouterTopology {
    public static final String DEDUP_STORE = "dedup";
    public static final String INBOX_STORE = "inbox";
    public static final String META_STORE = "inbox-meta";
    public static final String SESSIONS_STORE = "sessions";
    /** Global store of the compacted groups topic (every instance holds all groups). */
    public static final String GROUPS_STORE = "groups";
    /** Repartition topic {@code <application.id>-routed-repartition}. */
    public static final String ROUTED = "routed";

    /** What the topology needs to know from the deployment. */
    public record Settings(int partitions, Duration dedupRetention, Duration sessionExpiry, Retention retention) {}

    private RouterTopology() {}

    public static Topology build(Settings settings, RouterMetrics metrics) {
        StreamsBuilder builder = new StreamsBuilder();
        builder.addStateStore(Stores.windowStoreBuilder(
                Stores.persistentWindowStore(DEDUP_STORE, settings.dedupRetention(), Duration.ofMillis(1), false),
                Serdes.String(), Serdes.Long()));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(INBOX_STORE),
                Serdes.String(), new JsonSerde<>(InboxEntry.class)));
        // Cached: a busy inbox's meta changes with every entry; the changelog gets its latest value per commit.
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(META_STORE),
                Serdes.String(), new JsonSerde<>(InboxMeta.class)).withCachingEnabled());
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(SESSIONS_STORE),
                Serdes.String(), new JsonSerde<>(DeviceSessions.class)).withCachingEnabled());

        KStream<String, RoutedSend> notices = source(builder, Topics.NOTICES)
                .mapValues(n -> new RoutedSend(null, false, n), Named.as("notice-to-route"));
        KStream<String, RoutedSend> routed = source(builder, Topics.INBOUND)
                .process(() -> new DedupFanOut(settings.dedupRetention(), metrics), Named.as("dedup-fan-out"),
                        DEDUP_STORE)
                .merge(notices, Named.as("merge-notices"))
                .repartition(Repartitioned.<String, RoutedSend>as(ROUTED)
                        .withKeySerde(Serdes.String())
                        .withValueSerde(new JsonSerde<>(RoutedSend.class))
                        .withNumberOfPartitions(settings.partitions()));

        KStream<String, Emit> appended = routed.process(() -> new InboxAppender(settings.retention()),
                Named.as("inbox-append"), INBOX_STORE, META_STORE, SESSIONS_STORE);
        KStream<String, Emit> sessions = source(builder, Topics.SESSIONS)
                .process(() -> new SessionTracker(settings.sessionExpiry()), Named.as("session-track"),
                        META_STORE, SESSIONS_STORE);
        KStream<String, Emit> acks = source(builder, Topics.ACKS)
                .process(AckApplier::new, Named.as("ack-apply"), INBOX_STORE, META_STORE, SESSIONS_STORE);

        KStream<String, Emit> out = appended.merge(sessions, Named.as("merge-sessions"))
                .merge(acks, Named.as("merge-acks"));
        out.flatMapValues(e -> e.push() == null ? List.<PushRecord>of() : List.of(e.push()), Named.as("pushes"))
                .to(Topics.PUSH.name(), Produced.with(Topics.PUSH.keySerde(), Topics.PUSH.valueSerde()).withName("push-sink"));
        out.flatMapValues(e -> e.notice() == null ? List.<InboxEntry>of() : List.of(e.notice()), Named.as("notices"))
                .to(Topics.NOTICES.name(), Produced.with(Topics.NOTICES.keySerde(), Topics.NOTICES.valueSerde())
                        .withName("notices-sink"));
        // Added last so that it does not renumber the sub-topologies above (task ids name state directories).
        builder.addGlobalStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(GROUPS_STORE),
                        Serdes.String(), new JsonSerde<>(GroupRecord.class)).withLoggingDisabled(),
                Topics.GROUPS.name(), Consumed.with(Topics.GROUPS.keySerde(), Topics.GROUPS.valueSerde())
                        .withName(Topics.GROUPS.name()),
                GroupStoreUpdater::new);
        return builder.build();
    }

    private static <K, V> KStream<K, V> source(StreamsBuilder builder, Topic<K, V> topic) {
        return builder.stream(topic.name(),
                Consumed.with(topic.keySerde(), topic.valueSerde()).withName(topic.name() + "-source"));
    }
}
