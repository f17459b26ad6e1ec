package dev.pigeonhole.gateway.uploads;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Runs {@link BlobCollector} every {@code pigeonhole.blobs.collect-interval} on one daemon thread, starting at a random
 * point of the first interval (pods do not all list the store at once; when they do, it is only wasted work).
 */
@ApplicationScoped
public class CollectorSchedule {
    private static final Logger LOG = Logger.getLogger(CollectorSchedule.class);

    private final BlobAccess blobs;
    private final BlobsConfig config;
    private final Duration retention;
    private ScheduledExecutorService timer;

    CollectorSchedule(BlobAccess blobs, BlobsConfig config,
                      @ConfigProperty(name = "pigeonhole.router.retention.max-age", defaultValue = "P7D") Duration retention) {
        this.blobs = blobs;
        this.config = config;
        this.retention = retention;
    }

    void start(@Observes StartupEvent event) {
        if (blobs.store().isEmpty() || config.collectInterval().isZero()) {
            return;
        }
        BlobCollector collector = new BlobCollector(blobs.store().get(), config.uploadTimeout(), retention, config.grace());
        long every = config.collectInterval().toMillis();
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "blob-collector");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(() -> {
            try {
                BlobCollector.Result r = collector.collect(Clock.systemUTC().instant());
                if (r.uploads() + r.blobs() + r.records() > 0) {
                    LOG.infof("blob collector removed %d stale uploads, %d blobs, %d upload records",
                            r.uploads(), r.blobs(), r.records());
                }
            } catch (Exception e) {
                LOG.warnf("blob collector pass failed (next pass in %s): %s", config.collectInterval(), e.toString());
            }
        }, ThreadLocalRandom.current().nextLong(Math.max(1, every)), every, TimeUnit.MILLISECONDS);
    }

    void stop(@Observes ShutdownEvent event) {
        if (timer != null) {
            timer.shutdownNow();
        }
    }
}
