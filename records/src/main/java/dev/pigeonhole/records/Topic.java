package dev.pigeonhole.records;

import java.util.Map;
import org.apache.kafka.common.serialization.Serde;

/**
 * A topic the services share: name, serdes and topic-level configuration. Partition count and replication
 * factor are deployment settings, given when topics are created ({@link Topics#ensure}).
 *
 * @param copartitioned whether the router joins it by user, so it must have the router's partition count
 */
public record Topic<K, V>(String name, Serde<K> keySerde, Serde<V> valueSerde, Map<String, String> config,
                          boolean copartitioned) {}
