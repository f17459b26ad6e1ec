package dev.pigeonhole.records;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.serialization.Serdes;
import org.junit.jupiter.api.Test;

class TopicsTest {
    @Test
    void pushPartitionIsWhereTheDefaultPartitionerPutsTheInstanceKey() {
        for (String id : new String[] {"delivery-0", "delivery-1", "standalone", "pod-7f9c-xk2"}) {
            byte[] key = Serdes.String().serializer().serialize(Topics.PUSH.name(), id);
            for (int partitions : new int[] {1, 4, 16}) {
                assertThat(Topics.pushPartition(id, partitions))
                        .isEqualTo(BuiltInPartitioner.partitionForKey(key, partitions));
            }
        }
    }

    @Test
    void namesStartWithThePrefixFromTheSystemPropertyElseTheEnvironment() {
        assertThat(Topics.prefix(null, null)).isEqualTo("pigeonhole-");
        assertThat(Topics.prefix(" ", "")).isEqualTo("pigeonhole-");
        assertThat(Topics.prefix(null, "acme-")).isEqualTo("acme-");
        assertThat(Topics.prefix("blue.", "acme-")).isEqualTo("blue.");
        assertThatThrownBy(() -> Topics.prefix("a/b", null)).isInstanceOf(IllegalArgumentException.class);
        assertThat(Topics.INBOX_OPS.name()).isEqualTo(Topics.PREFIX + "inbox-ops");
        assertThat(Topics.name("acme-", Topics.ROUTER_OUTBOX)).isEqualTo("acme-router-outbox");
    }
}
