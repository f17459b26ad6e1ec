package dev.pigeonhole.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

class OpeningAdmissionTest {
    private static final int MAX_OPENING = 1000;
    private static final long MAX_WAIT_MS = 5000;

    @Test
    void whileSocketsOpenPromptlyUpToMaxOpeningAreLetIn() {
        assertThat(DeliveryService.admits(0, 200, MAX_OPENING, MAX_WAIT_MS)).isTrue();
        assertThat(DeliveryService.admits(999, 4_999, MAX_OPENING, MAX_WAIT_MS)).isTrue();
        assertThat(DeliveryService.admits(1000, 0, MAX_OPENING, MAX_WAIT_MS)).isFalse();
    }

    @Test
    void whileSocketsOpenSlowlyOnlyAFewMayBeOpeningSoTheInstanceNeverLocksItselfOut() {
        assertThat(DeliveryService.admits(DeliveryService.SLOW_OPENING - 1, 20_000, MAX_OPENING, MAX_WAIT_MS)).isTrue();
        assertThat(DeliveryService.admits(DeliveryService.SLOW_OPENING, 20_000, MAX_OPENING, MAX_WAIT_MS)).isFalse();
        assertThat(DeliveryService.admits(0, 20_000, 4, MAX_WAIT_MS)).as("a max-opening below the floor still holds")
                .isTrue();
        assertThat(DeliveryService.admits(4, 0, 4, MAX_WAIT_MS)).isFalse();
    }

    @Test
    void theRecentOpeningTimeFollowsTheNewestOpeningsAndRecoversOnceTheyAreFastAgain() {
        DeliveryMetrics metrics = new DeliveryMetrics(new SimpleMeterRegistry());
        for (int i = 0; i < 200; i++) {
            metrics.opened();
            metrics.openingEnded(10_000);
        }
        assertThat(metrics.recentOpeningMillis()).isCloseTo(10_000, org.assertj.core.data.Offset.offset(1.0));
        assertThat(DeliveryService.admits(500, metrics.recentOpeningMillis(), MAX_OPENING, MAX_WAIT_MS)).isFalse();
        int fast = 0;
        while (metrics.recentOpeningMillis() > MAX_WAIT_MS) {
            metrics.opened();
            metrics.openingEnded(100);
            fast++;
        }
        assertThat(fast).as("about 14 prompt openings bring it under 5 s").isBetween(13, 15);
        assertThat(DeliveryService.admits(500, metrics.recentOpeningMillis(), MAX_OPENING, MAX_WAIT_MS)).isTrue();
        metrics.opened();
        metrics.openingEnded(-1);
        assertThat(metrics.opening()).isZero();
    }
}
