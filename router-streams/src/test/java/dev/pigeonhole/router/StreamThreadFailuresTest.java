package dev.pigeonhole.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.errors.InvalidTxnStateException;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.junit.jupiter.api.Test;

class StreamThreadFailuresTest {
    private final AtomicLong now = new AtomicLong();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final StreamThreadFailures failures = new StreamThreadFailures(registry, now::get);
    private final Throwable commitFailed = new StreamsException("Error encountered trying to commit a transaction",
            new InvalidTxnStateException("The producer attempted a transactional operation in an invalid state."));

    @Test
    void aFailedThreadIsReplacedNotTheRouterStopped() {
        assertThat(failures.handle(commitFailed)).isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
        assertThat(registry.get("pigeonhole.router.stream.threads.replaced").counter().count()).isEqualTo(1);
    }

    @Test
    void aThreadThatKeepsFailingStopsTheClientSoTheProcessIsRestarted() {
        for (int i = 0; i < StreamThreadFailures.MAX_REPLACEMENTS; i++) {
            assertThat(failures.handle(commitFailed)).isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
            now.addAndGet(1_000_000_000L);
        }
        assertThat(failures.handle(commitFailed)).isEqualTo(StreamThreadExceptionResponse.SHUTDOWN_CLIENT);
    }

    @Test
    void failuresFarApartAreEachReplaced() {
        for (int i = 0; i < 3 * StreamThreadFailures.MAX_REPLACEMENTS; i++) {
            assertThat(failures.handle(commitFailed)).isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
            now.addAndGet(StreamThreadFailures.WINDOW.toNanos() / 5);
        }
    }
}
