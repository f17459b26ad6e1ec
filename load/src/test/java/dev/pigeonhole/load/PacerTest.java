package dev.pigeonhole.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class PacerTest {
    @Test
    void withoutARampMessagesAreEvenlySpaced() {
        Pacer p = new Pacer(100, 0);
        assertThat(p.offsetNanos(0)).isZero();
        assertThat(p.offsetNanos(1)).isEqualTo(10_000_000);
        assertThat(p.offsetNanos(100)).isEqualTo(1_000_000_000);
        assertThat(p.countWithin(2)).isEqualTo(200);
    }

    @Test
    void theRampSendsHalfTheRateOnAverageThenTheFullRate() {
        Pacer p = new Pacer(1000, 10);
        // during a linear ramp over 10 s the count is rate * s^2 / (2 * ramp): 500 after 1 s, 5000 after 10 s
        assertThat(p.countWithin(1)).isCloseTo(50, within(1L));
        assertThat(p.countWithin(10)).isCloseTo(5000, within(1L));
        assertThat(p.countWithin(11)).isCloseTo(6000, within(1L));
        long gapLate = p.offsetNanos(7000) - p.offsetNanos(6999);
        assertThat(gapLate).isCloseTo(1_000_000, within(10L));
        long gapEarly = p.offsetNanos(11) - p.offsetNanos(10);
        assertThat(gapEarly).isGreaterThan(gapLate);
    }

    @Test
    void offsetsNeverDecrease() {
        Pacer p = new Pacer(333, 2.5);
        long prev = -1;
        for (long k = 0; k < 5000; k++) {
            long t = p.offsetNanos(k);
            assertThat(t).isGreaterThanOrEqualTo(prev);
            prev = t;
        }
    }
}
