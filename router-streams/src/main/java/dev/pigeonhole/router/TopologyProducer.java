package dev.pigeonhole.router;

import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import org.apache.kafka.streams.Topology;

@ApplicationScoped
public class TopologyProducer {

    @Produces
    Topology topology(RouterConfig config, MeterRegistry registry) {
        return RouterTopology.build(
                new RouterTopology.Settings(config.partitions(), config.dedupRetention(), config.sessionExpiry(),
                        new Retention(config.retention().maxAge(), config.retention().maxEntries(),
                                config.retention().ackedMaxAge(), config.retention().checkInterval(),
                                config.retention().maxPerCheck(), config.retention().inboxesPerCheck())),
                new RouterMetrics(registry));
    }
}
