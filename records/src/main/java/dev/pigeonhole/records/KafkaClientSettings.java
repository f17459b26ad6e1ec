package dev.pigeonhole.records;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * What every Kafka client of every service gets besides its own settings: how to reach the brokers securely. Read from
 * the service's config; on Kubernetes the chart sets the environment variables ({@code kafka.sasl.jaas.config} is
 * {@code KAFKA_SASL_JAAS_CONFIG}, and so on). Kafka Streams gets the same through {@code kafka-streams.*} in the
 * router's config.
 */
public final class KafkaClientSettings {
    /** The client settings that may be configured, each as {@code kafka.<setting>}. */
    public static final List<String> SECURITY = List.of(
            "security.protocol",
            "sasl.mechanism",
            "sasl.jaas.config",
            "ssl.truststore.type",
            "ssl.truststore.location",
            "ssl.truststore.password",
            "ssl.keystore.type",
            "ssl.keystore.location",
            "ssl.keystore.password",
            "ssl.endpoint.identification.algorithm");

    private KafkaClientSettings() {}

    /**
     * The security settings that are set (an unset or blank one is left out: an empty {@code sasl.jaas.config} or
     * {@code security.protocol} breaks a client), {@code security.protocol} PLAINTEXT by default. Also checks that
     * the config's {@code pigeonhole.topic-prefix} is the one {@link Topics} took its names from.
     *
     * @param config a config lookup by property name, e.g. MicroProfile Config's {@code getOptionalValue}
     * @throws IllegalStateException if the config names another topic prefix than {@link Topics#PREFIX}
     */
    public static Map<String, Object> common(Function<String, Optional<String>> config) {
        // Topics reads the prefix from the system property or the environment; a config file setting it would give
        // this service other names than the router's application.id and the other services
        config.apply(Topics.PREFIX_PROPERTY).filter(p -> !p.isBlank()).filter(p -> !p.equals(Topics.PREFIX))
                .ifPresent(p -> {
                    throw new IllegalStateException(Topics.PREFIX_PROPERTY + " is '" + p + "' in the config but the topics are named with '"
                            + Topics.PREFIX + "': set it as the environment variable PIGEONHOLE_TOPIC_PREFIX or the system property");
                });
        Map<String, Object> settings = new LinkedHashMap<>();
        for (String setting : SECURITY) {
            config.apply("kafka." + setting).filter(v -> !v.isBlank()).ifPresent(v -> settings.put(setting, v));
        }
        settings.putIfAbsent("security.protocol", "PLAINTEXT");
        return settings;
    }

    /** {@link #common} from the service's MicroProfile Config, with the client's {@code own} settings on top. */
    public static Map<String, Object> with(Map<String, ?> own) {
        Map<String, Object> settings = new LinkedHashMap<>(
                common(name -> ConfigProvider.getConfig().getOptionalValue(name, String.class)));
        settings.putAll(own);
        return settings;
    }
}
