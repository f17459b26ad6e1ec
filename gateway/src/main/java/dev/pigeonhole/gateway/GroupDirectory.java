package dev.pigeonhole.gateway;

import dev.pigeonhole.records.GroupRecord;
import dev.pigeonhole.records.KafkaClientSettings;
import dev.pigeonhole.records.Topics;
import io.quarkus.runtime.Startup;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * This gateway's view of the compacted groups topic: it reads the whole topic from the start and follows it.
 * Changes made through this instance are applied to the view once Kafka acknowledged them, so a client reads its
 * own writes; changes made through other instances appear after they are read (milliseconds). A group send fans
 * out from this view.
 */
@Startup
@ApplicationScoped
public class GroupDirectory {
    private static final Logger LOG = Logger.getLogger(GroupDirectory.class);

    /** A group as the API shows it: its members, joined or invited. */
    public record Group(String id, String owner, boolean anyoneMayPost, long createdAt, Map<String, GroupRecord.Member> members) {
        /** Joined: receives the group's messages. */
        boolean isMember(String user) {
            GroupRecord.Member m = members.get(user);
            return m != null && !m.invited();
        }

        boolean isInvited(String user) {
            GroupRecord.Member m = members.get(user);
            return m != null && m.invited();
        }

        /** Members and invitees see the group; to anyone else it does not exist. */
        boolean isVisibleTo(String user) {
            return members.containsKey(user);
        }

        boolean isAdmin(String user) {
            GroupRecord.Role r = isMember(user) ? members.get(user).role() : null;
            return r == GroupRecord.Role.OWNER || r == GroupRecord.Role.ADMIN;
        }

        /** The joined members: the inboxes a send to the group is written to. */
        List<String> recipients() {
            return members.entrySet().stream().filter(e -> !e.getValue().invited()).map(Map.Entry::getKey).toList();
        }
    }

    private final Map<String, GroupRecord.Group> groups = new ConcurrentHashMap<>();
    private final Map<String, Map<String, GroupRecord.Member>> members = new ConcurrentHashMap<>();
    /** The groups each user is a member of or invited to. */
    private final Map<String, Set<String>> byUser = new ConcurrentHashMap<>();
    /** Offset of the record each key's state came from: an older record (a late own ack) never overwrites a newer one. */
    private final Map<String, Long> offsets = new HashMap<>();
    private final KafkaProducer<String, GroupRecord> producer;
    private final KafkaConsumer<String, GroupRecord> consumer;
    private final Thread reader;
    private volatile boolean running = true;
    private volatile boolean ready;

    GroupDirectory(@ConfigProperty(name = "kafka.bootstrap.servers") String bootstrap) {
        this.producer = new KafkaProducer<>(KafkaClientSettings.with(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000,
                ProducerConfig.CLIENT_ID_CONFIG, "pigeonhole-gateway-groups")),
                Topics.GROUPS.keySerde().serializer(), Topics.GROUPS.valueSerde().serializer());
        this.consumer = new KafkaConsumer<>(KafkaClientSettings.with(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.CLIENT_ID_CONFIG, "pigeonhole-gateway-groups-reader")),
                Topics.GROUPS.keySerde().deserializer(), Topics.GROUPS.valueSerde().deserializer());
        this.reader = new Thread(this::read, "groups-reader");
        this.reader.setDaemon(true);
        this.reader.start();
    }

    /** True once the view holds everything the topic held at start-up. */
    public boolean ready() {
        return ready;
    }

    public Optional<Group> get(String id) {
        GroupRecord.Group g = groups.get(id);
        if (g == null) {
            return Optional.empty();
        }
        return Optional.of(new Group(id, g.owner(), g.anyoneMayPost(), g.createdAt(),
                new TreeMap<>(members.getOrDefault(id, Map.of()))));
    }

    /** The groups {@code user} is a member of or invited to, by id. */
    List<Group> of(String user) {
        return byUser.getOrDefault(user, Set.of()).stream().sorted().map(this::get).flatMap(Optional::stream)
                .filter(g -> g.isVisibleTo(user)).toList();
    }

    /**
     * Members recorded for a group id that has no group record (left behind by a deletion that did not complete):
     * a new group of that id must not inherit them.
     */
    Set<String> orphanMembers(String id) {
        return groups.containsKey(id) ? Set.of() : Set.copyOf(members.getOrDefault(id, Map.of()).keySet());
    }

    /** Writes the records (null value: delete); each is applied to the view once Kafka acknowledged it. */
    CompletionStage<Void> write(Map<String, GroupRecord> records) {
        List<CompletableFuture<Void>> acks = new ArrayList<>();
        for (Map.Entry<String, GroupRecord> r : records.entrySet()) {
            CompletableFuture<Void> ack = new CompletableFuture<>();
            try {
                producer.send(new ProducerRecord<>(Topics.GROUPS.name(), r.getKey(), r.getValue()), (md, error) -> {
                    if (error == null) {
                        apply(r.getKey(), r.getValue(), md.offset());
                        ack.complete(null);
                    } else {
                        ack.completeExceptionally(error);
                    }
                });
            } catch (RuntimeException e) {
                ack.completeExceptionally(e);
            }
            acks.add(ack);
        }
        return CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new));
    }

    private synchronized void apply(String key, GroupRecord value, long offset) {
        Long seen = offsets.get(key);
        if (seen != null && seen >= offset) {
            return;
        }
        offsets.put(key, offset);
        int slash = key.indexOf('/');
        if (slash < 0) {
            if (value == null || value.group() == null) {
                groups.remove(key);
            } else {
                groups.put(key, value.group());
            }
            return;
        }
        String group = key.substring(0, slash);
        String user = key.substring(slash + 1);
        if (value == null || value.member() == null) {
            members.computeIfPresent(group, (g, m) -> {
                m.remove(user);
                return m.isEmpty() ? null : m;
            });
            byUser.computeIfPresent(user, (u, gs) -> {
                gs.remove(group);
                return gs.isEmpty() ? null : gs;
            });
        } else {
            members.computeIfAbsent(group, g -> new ConcurrentHashMap<>()).put(user, value.member());
            byUser.computeIfAbsent(user, u -> ConcurrentHashMap.newKeySet()).add(group);
        }
    }

    private void read() {
        try {
            List<TopicPartition> partitions = partitions();
            if (partitions.isEmpty()) {
                return;
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = new HashMap<>(consumer.endOffsets(partitions));
            while (running) {
                for (ConsumerRecord<String, GroupRecord> r : consumer.poll(Duration.ofMillis(500))) {
                    if (r.key() != null) {
                        apply(r.key(), r.value(), r.offset());
                    }
                }
                if (!ready && end.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue())) {
                    ready = true;
                    LOG.infof("group directory loaded: %d groups", groups.size());
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            LOG.error("reading the groups topic failed; group changes and sends refuse until restart", e);
            ready = false;
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    private List<TopicPartition> partitions() {
        while (running) {
            List<PartitionInfo> infos;
            try {
                infos = consumer.partitionsFor(Topics.GROUPS.name(), Duration.ofSeconds(5));
            } catch (org.apache.kafka.common.errors.TimeoutException e) {
                infos = List.of();
            }
            if (infos != null && !infos.isEmpty()) {
                return infos.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            }
            LOG.infof("waiting for topic %s", Topics.GROUPS.name());
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return List.of();
            }
        }
        return List.of();
    }

    @PreDestroy
    void close() {
        running = false;
        consumer.wakeup();
        producer.close(Duration.ofSeconds(5));
    }
}
