package dev.pigeonhole.access;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class DrainTest {
    private static final long MS = 1_000_000;

    /** A clock that only moves when the drain sleeps. */
    private final Drain.Clock clock = new Drain.Clock() {
        @Override
        public long nanos() {
            return now;
        }

        @Override
        public void sleep(long nanos) {
            assertThat(nanos).as("never a sleep of nothing (a busy loop)").isPositive();
            now += nanos;
        }
    };
    private long now = 123 * MS;

    private final Set<Integer> open = new LinkedHashSet<>();
    private final List<Long> closedAt = new ArrayList<>();
    private final List<Integer> forced = new ArrayList<>();

    private Drain.Result drain(int perSecond, Duration timeout) {
        long start = now;
        return new Drain<Integer>(perSecond, timeout, clock).run(() -> List.copyOf(open), s -> {
            closedAt.add((now - start) / MS);
            open.remove(s);
        }, s -> {
            forced.add(s);
            open.remove(s);
        });
    }

    @Test
    void closesAtTheRateNeverFaster() {
        IntStream.range(0, 200).forEach(open::add);
        Drain.Result r = drain(100, Duration.ofSeconds(30));
        assertThat(r.closed()).isEqualTo(200);
        assertThat(r.forced()).isZero();
        assertThat(closedAt).hasSize(200);
        for (int k = 0; k < 200; k++) {
            assertThat(closedAt.get(k)).as("close " + k + " at 100/s").isEqualTo(k * 10L);
        }
        assertThat(r.took()).isEqualTo(Duration.ofMillis(1990));
    }

    @Test
    void whatIsLeftAtTheTimeoutIsClosedAtOnce() {
        IntStream.range(0, 200).forEach(open::add);
        Drain.Result r = drain(100, Duration.ofSeconds(1));
        assertThat(r.closed()).isEqualTo(100);
        assertThat(closedAt.get(99)).isEqualTo(990);
        assertThat(forced).hasSize(100).containsExactlyElementsOf(IntStream.range(100, 200).boxed().toList());
        assertThat(r.took()).isEqualTo(Duration.ofSeconds(1));
        assertThat(open).isEmpty();
    }

    @Test
    void rateZeroClosesAllAtOnce() {
        IntStream.range(0, 50).forEach(open::add);
        Drain.Result r = drain(0, Duration.ofSeconds(10));
        assertThat(r.closed()).isEqualTo(50);
        assertThat(closedAt).allMatch(t -> t == 0);
        assertThat(r.took()).isZero();
    }

    @Test
    void nothingOpenReturnsAtOnce() {
        assertThat(drain(100, Duration.ofSeconds(10))).isEqualTo(new Drain.Result(0, 0, Duration.ZERO));
    }

    @Test
    void waitsForAskedClosesToEndAndClosesLateArrivals() {
        IntStream.range(0, 3).forEach(open::add);
        List<Integer> asked = new ArrayList<>();
        long start = now;
        // Asked closes end only at 400 ms (sends in flight answered first); a socket opens at 50 ms.
        Drain.Result r = new Drain<Integer>(10, Duration.ofSeconds(10), new Drain.Clock() {
            @Override
            public long nanos() {
                return now;
            }

            @Override
            public void sleep(long nanos) {
                now += nanos;
                if (now - start >= 50 * MS && !asked.contains(99)) {
                    open.add(99);
                }
                if (now - start >= 400 * MS) {
                    open.removeAll(asked);
                }
            }
        }).run(() -> List.copyOf(open), asked::add, forced::add);
        assertThat(asked).containsExactly(0, 1, 2, 99);
        assertThat(forced).isEmpty();
        assertThat(open).isEmpty();
        assertThat(r.closed()).isEqualTo(4);
        assertThat(r.took()).as("the late socket asked at 300 ms; all ended at 400 ms").isEqualTo(Duration.ofMillis(400));
    }

    @Test
    void closesNotEndedByTheTimeoutAreForced() {
        IntStream.range(0, 3).forEach(open::add);
        List<Integer> asked = new ArrayList<>();
        Drain.Result r = new Drain<Integer>(100, Duration.ofSeconds(2), clock)
                .run(() -> List.copyOf(open), asked::add, s -> {
                    forced.add(s);
                    open.remove(s);
                });
        assertThat(asked).containsExactly(0, 1, 2);
        assertThat(forced).containsExactly(0, 1, 2);
        assertThat(r).isEqualTo(new Drain.Result(3, 3, Duration.ofSeconds(2)));
    }
}
