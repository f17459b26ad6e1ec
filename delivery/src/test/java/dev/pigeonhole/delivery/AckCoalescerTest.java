package dev.pigeonhole.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pigeonhole.protocol.Identity;
import dev.pigeonhole.protocol.ServerFrame;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import org.junit.jupiter.api.Test;

class AckCoalescerTest {
    private static final Identity BOB = new Identity("bob", "phone");
    private final List<String> written = new ArrayList<>();
    private final Queue<Runnable> timers = new ArrayDeque<>();
    private final AckCoalescer acks = new AckCoalescer((id, seq, read, skipped) -> written.add((read ? "read " : "ack ") + seq
            + (skipped == null ? "" : " skipping " + skipped.from() + "-" + skipped.to())),
            (task, delay) -> timers.add(task), Duration.ofMillis(500));

    @Test
    void onlyTheLatestAckAndReadMarkerOfAnIntervalAreWritten() {
        acks.ack(BOB, 3, false, null);
        acks.ack(BOB, 7, false, null);
        acks.ack(BOB, 5, false, null); // cumulative: an older one changes nothing
        acks.ack(BOB, 2, true, null);
        assertThat(written).isEmpty();
        assertThat(timers).hasSize(1);
        timers.poll().run();
        assertThat(written).containsExactly("ack 7", "read 2");

        acks.ack(BOB, 9, false, new ServerFrame.Range(1, 4));
        timers.poll().run();
        assertThat(written).containsExactly("ack 7", "read 2", "ack 9 skipping 1-4");
    }

    @Test
    void whatIsHeldBackIsWrittenWhenTheStreamEnds() {
        acks.ack(BOB, 4, false, null);
        acks.flush();
        assertThat(written).containsExactly("ack 4");
        timers.poll().run(); // the timer finds nothing left
        assertThat(written).containsExactly("ack 4");
    }

    @Test
    void aZeroIntervalWritesEveryAck() {
        AckCoalescer direct = new AckCoalescer((id, seq, read, skipped) -> written.add("ack " + seq),
                (task, delay) -> timers.add(task), Duration.ZERO);
        direct.ack(BOB, 1, false, null);
        direct.ack(BOB, 2, false, null);
        assertThat(written).containsExactly("ack 1", "ack 2");
        assertThat(timers).isEmpty();
    }
}
