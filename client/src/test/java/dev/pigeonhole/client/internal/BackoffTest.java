package dev.pigeonhole.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BackoffTest {
    @Test
    void boundDoublesUpToTheMaximum() {
        Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofMillis(1000), () -> 0.999999);
        List<Long> delays = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            delays.add(b.next().toMillis());
        }
        assertThat(delays).containsExactly(100L, 200L, 400L, 800L, 1000L, 1000L, 1000L);
    }

    @Test
    void fullJitterSpreadsDelaysOverTheWholeRange() {
        Random random = new Random(7);
        Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(10), random::nextDouble);
        for (int i = 0; i < 10; i++) {
            b.next();
        }
        long min = Long.MAX_VALUE;
        long max = 0;
        for (int i = 0; i < 1000; i++) {
            long d = b.next().toMillis();
            min = Math.min(min, d);
            max = Math.max(max, d);
            assertThat(d).isBetween(0L, 10_000L);
        }
        assertThat(min).as("some reconnect almost at once").isLessThan(500);
        assertThat(max).as("some wait almost the maximum").isGreaterThan(9_000);
    }

    @Test
    void resetStartsAgainFromTheMinimum() {
        Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(10), () -> 0.999999);
        for (int i = 0; i < 20; i++) {
            b.next();
        }
        b.reset();
        assertThat(b.next().toMillis()).isEqualTo(100);
        assertThat(b.attempts()).isEqualTo(1);
    }
}
