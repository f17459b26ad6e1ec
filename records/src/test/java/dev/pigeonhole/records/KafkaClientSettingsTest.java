package dev.pigeonhole.records;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class KafkaClientSettingsTest {
    @Test
    void passesOnlyTheSettingsThatAreSetAndPlaintextByDefault() {
        assertThat(KafkaClientSettings.common(name -> Optional.empty())).containsExactly(Map.entry("security.protocol", "PLAINTEXT"));
        Map<String, String> config = Map.of(
                "kafka.security.protocol", "SASL_SSL",
                "kafka.sasl.mechanism", "SCRAM-SHA-512",
                "kafka.sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"u\" password=\"p\";",
                "kafka.ssl.truststore.type", "PEM",
                "kafka.ssl.truststore.location", "/etc/kafka-ca/ca.crt",
                "kafka.ssl.keystore.location", " ", // blank: unset (an empty value would break the client)
                "kafka.bootstrap.servers", "kafka:9093", // not a security setting: the client sets it itself
                "kafka.ssl.endpoint.identification.algorithm", "https");
        assertThat(KafkaClientSettings.common(name -> Optional.ofNullable(config.get(name)))).containsOnlyKeys(
                "security.protocol", "sasl.mechanism", "sasl.jaas.config", "ssl.truststore.type",
                "ssl.truststore.location", "ssl.endpoint.identification.algorithm")
                .containsEntry("security.protocol", "SASL_SSL").containsEntry("ssl.truststore.type", "PEM");
    }

    @Test
    void refusesAConfigWhosePrefixIsNotTheOneTheTopicsWereNamedWith() {
        assertThat(KafkaClientSettings.common(name -> name.equals(Topics.PREFIX_PROPERTY) ? Optional.of(Topics.PREFIX)
                : Optional.empty())).containsKey("security.protocol");
        assertThatThrownBy(() -> KafkaClientSettings.common(name -> name.equals(Topics.PREFIX_PROPERTY)
                ? Optional.of("other-") : Optional.empty()))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("PIGEONHOLE_TOPIC_PREFIX");
    }
}
