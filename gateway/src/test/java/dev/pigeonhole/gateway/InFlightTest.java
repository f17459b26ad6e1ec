package dev.pigeonhole.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class InFlightTest {
    @Test
    void anIdleConnectionClosesAtOnce() {
        assertThat(new InFlight().drain()).isTrue();
    }

    @Test
    void theLastAnswerInFlightClosesADrainingConnectionAndNothingStartsAfterTheDrain() {
        InFlight f = new InFlight();
        assertThat(f.start()).isTrue();
        assertThat(f.start()).isTrue();
        assertThat(f.answered()).as("not draining: stays open").isFalse();
        assertThat(f.start()).isTrue();
        assertThat(f.drain()).as("two in flight").isFalse();
        assertThat(f.start()).as("a send after the drain began is not started").isFalse();
        assertThat(f.answered()).isFalse();
        assertThat(f.answered()).as("the last answer closes").isTrue();
    }
}
