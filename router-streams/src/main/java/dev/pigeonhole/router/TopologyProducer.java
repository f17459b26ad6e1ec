package dev.pigeonhole.router;

import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import org.apache.kafka.streams.Topology;

@ApplicationScoped
public class TopologyProducer {

    @Produces
    Topology topology(RouterConfig config, MeterRegistry registry) {
        RouterConfig.RetentionConfig r = config.retention();
        return RouterTopology.build(new RouterTopology.Settings(config.dedupRetention(), config.sessionExpiry(),
                        new Retention(r.maxAge(), r.maxEntries(), r.ackedMaxAge(), r.checkInterval(), r.maxPerCheck(),
                                r.inboxesPerCheck()),
                        r.checkBudget(), System::nanoTime, config.maxDevicesPerUser(),
                        new Shadows.Limits(config.shadow().maxBytes(), config.shadow().maxDepth())),
                new RouterMetrics(registry));
    }
}
