package dev.pigeonhole.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class WatchdogTest {
    private final ManualTimers timers = new ManualTimers();
    private final AtomicInteger fired = new AtomicInteger();
    private final Watchdog dog = new Watchdog(Duration.ofSeconds(2), timers, fired::incrementAndGet);

    @Test
    void firesAfterTwoIntervalsOfSilence() {
        dog.start();
        timers.advance(Duration.ofMillis(1999));
        assertThat(fired).hasValue(0);
        timers.advance(Duration.ofMillis(1));
        assertThat(fired).hasValue(1);
        timers.advance(Duration.ofSeconds(10));
        assertThat(fired).as("fires once").hasValue(1);
    }

    @Test
    void anyActivityRestartsTheCount() {
        dog.start();
        for (int i = 0; i < 10; i++) {
            timers.advance(Duration.ofMillis(1500));
            dog.touch();
        }
        assertThat(fired).hasValue(0);
        timers.advance(Duration.ofMillis(1999));
        assertThat(fired).hasValue(0);
        timers.advance(Duration.ofMillis(1));
        assertThat(fired).hasValue(1);
    }

    @Test
    void aStoppedWatchdogNeverFires() {
        dog.start();
        timers.advance(Duration.ofSeconds(1));
        dog.stop();
        timers.advance(Duration.ofMinutes(5));
        assertThat(fired).hasValue(0);
    }
}
