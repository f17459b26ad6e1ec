package dev.pigeonhole.access.http;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * Client errors at the HTTP level: counted in {@code pigeonhole_http_client_errors_total{reason}}, logged at DEBUG
 * at most once per {@link #LOG_INTERVAL_NANOS} (a client's mistake is not the server's error, and a flood of them
 * must not flood the log).
 */
final class ClientErrors {
    private static final Logger LOG = Logger.getLogger(ClientErrors.class);
    static final long LOG_INTERVAL_NANOS = 10_000_000_000L;

    enum Reason {
        /** An HTTP/1.x request without a {@code Host} header (400). */
        MISSING_HOST("missing_host"),
        /** Another request the HTTP layer refused as malformed (4xx). */
        BAD_REQUEST("bad_request"),
        /** A request head not complete within {@code pigeonhole.limits.request-head-timeout}: closed. */
        REQUEST_HEAD_TIMEOUT("request_head_timeout"),
        /** A connection over {@code pigeonhole.limits.connections-per-address}: closed at once. */
        CONNECTIONS_PER_ADDRESS("connections_per_address");

        final String label;

        Reason(String label) {
            this.label = label;
        }
    }

    private final Map<Reason, Counter> counters = new EnumMap<>(Reason.class);
    private final AtomicLong lastLog = new AtomicLong(System.nanoTime() - LOG_INTERVAL_NANOS);
    private final AtomicLong unlogged = new AtomicLong();

    ClientErrors(MeterRegistry registry) {
        for (Reason reason : Reason.values()) {
            counters.put(reason, Counter.builder("pigeonhole.http.client.errors").tag("reason", reason.label)
                    .description("Requests and connections refused at the HTTP level, by reason").register(registry));
        }
    }

    void record(Reason reason, Object peer) {
        counters.get(reason).increment();
        if (!LOG.isDebugEnabled()) {
            return;
        }
        long now = System.nanoTime();
        long last = lastLog.get();
        if (now - last >= LOG_INTERVAL_NANOS && lastLog.compareAndSet(last, now)) {
            LOG.debugf("HTTP client error %s from %s (%d more since the last line)", reason.label, peer,
                    unlogged.getAndSet(0));
        } else {
            unlogged.incrementAndGet();
        }
    }
}
