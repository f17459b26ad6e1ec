package dev.pigeonhole.router;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.LongSupplier;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.jboss.logging.Logger;

/**
 * What a failed stream thread leads to. Kafka Streams' default shuts the whole client down: a transaction the brokers
 * could not finish while they failed over ({@code InvalidTxnStateException} on commit, seen when two of three brokers
 * were killed) left the router alive but routing nothing until someone restarted it. Instead the thread is replaced:
 * its tasks are closed dirty, and under exactly-once their stores are restored from the changelogs and the
 * uncommitted operations applied again — the same decisions, since they follow from the log alone.
 *
 * <p>A thread that keeps failing (more than {@link #MAX_REPLACEMENTS} within {@link #WINDOW}: a bug that fails the
 * same operation every time, or brokers that stay away) shuts the client down after all, so the liveness check
 * fails and the orchestrator restarts the process; nothing is skipped either way.
 */
@ApplicationScoped
public class StreamThreadFailures implements StreamsUncaughtExceptionHandler {
    private static final Logger LOG = Logger.getLogger(StreamThreadFailures.class);
    static final int MAX_REPLACEMENTS = 10;
    static final Duration WINDOW = Duration.ofMinutes(5);

    private final Deque<Long> recent = new ArrayDeque<>();
    private final LongSupplier nanos;
    private final Counter replaced;

    @Inject
    StreamThreadFailures(MeterRegistry registry) {
        this(registry, System::nanoTime);
    }

    StreamThreadFailures(MeterRegistry registry, LongSupplier nanos) {
        this.nanos = nanos;
        this.replaced = Counter.builder("pigeonhole.router.stream.threads.replaced")
                .description("Stream threads that failed and were replaced (their tasks restored from the changelogs)")
                .register(registry);
    }

    @Override
    public synchronized StreamThreadExceptionResponse handle(Throwable exception) {
        long now = nanos.getAsLong();
        while (!recent.isEmpty() && now - recent.peekFirst() > WINDOW.toNanos()) {
            recent.pollFirst();
        }
        if (recent.size() >= MAX_REPLACEMENTS) {
            LOG.errorf(exception, "a stream thread failed for the %d-th time within %s: shutting the router's Kafka"
                    + " Streams client down (its liveness check fails)", recent.size() + 1, WINDOW);
            return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        }
        recent.addLast(now);
        replaced.increment();
        LOG.warnf(exception, "a stream thread failed; replacing it (its tasks are restored and continue where they"
                + " committed)");
        return StreamThreadExceptionResponse.REPLACE_THREAD;
    }
}
