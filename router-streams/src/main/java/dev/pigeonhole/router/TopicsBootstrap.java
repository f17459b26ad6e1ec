package dev.pigeonhole.router;

import dev.pigeonhole.records.KafkaClientSettings;
import dev.pigeonhole.records.Topics;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Creates the shared topics at start-up with the configured partition counts, before Kafka Streams starts
 * (it waits for its source topics), so that nothing depends on broker auto-creation.
 */
@ApplicationScoped
public class TopicsBootstrap {
    private static final Logger LOG = Logger.getLogger(TopicsBootstrap.class);

    void onStart(@Observes @Priority(1) StartupEvent event, RouterConfig config,
                 @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrap) {
        try (Admin admin = Admin.create(KafkaClientSettings.with(
                Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap)))) {
            Topics.ensure(admin, Topics.ALL, config.partitions(), config.pushPartitions(),
                    config.replicationFactor(), config.minInsyncReplicas(), config.topicsTimeout());
        }
        LOG.infof("topics ready: %d partitions, %d push partitions, replication %d", config.partitions(),
                config.pushPartitions(), config.replicationFactor());
    }
}
