package dev.pigeonhole.records;

import java.util.function.Function;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/** Kafka serde over a binary codec of this package; {@code null} stays {@code null}. */
record BinarySerde<T>(Function<T, byte[]> encode, Function<byte[], T> decode) implements Serde<T> {
    @Override
    public Serializer<T> serializer() {
        return (topic, value) -> value == null ? null : encode.apply(value);
    }

    @Override
    public Deserializer<T> deserializer() {
        return (topic, bytes) -> bytes == null ? null : decode.apply(bytes);
    }
}
