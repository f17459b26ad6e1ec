package dev.pigeonhole.records;

import static org.assertj.core.api.Assertions.assertThat;

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
}
