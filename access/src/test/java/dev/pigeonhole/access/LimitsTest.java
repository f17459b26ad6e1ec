package dev.pigeonhole.access;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pigeonhole.protocol.Identity;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class LimitsTest {
    private long now;

    @Test
    void aBucketAllowsItsBurstThenItsRate() {
        TokenBucket bucket = new TokenBucket(10, 5, () -> now);
        for (int i = 0; i < 5; i++) {
            assertThat(bucket.take()).isZero();
        }
        assertThat(bucket.take()).as("empty: wait for one token at 10/s").isEqualTo(100);
        now += 50_000_000; // 50 ms: half a token
        assertThat(bucket.take()).isEqualTo(50);
        now += 50_000_000;
        assertThat(bucket.take()).isZero();
        now += 10_000_000_000L; // long idle: refills to the burst, not beyond
        int granted = 0;
        while (bucket.take() == 0) {
            granted++;
        }
        assertThat(granted).isEqualTo(5);
        assertThat(bucket.idle()).isFalse();
        now += 1_000_000_000L;
        assertThat(bucket.idle()).isTrue();
    }

    @Test
    void aSendCostsOneTokenPerRecipientCopyAndACostAboveTheBurstGoesIntoDebt() {
        TokenBucket bucket = new TokenBucket(10, 20, () -> now);
        assertThat(bucket.take(9)).isZero();
        assertThat(bucket.take(9)).isZero();
        assertThat(bucket.take(9)).as("2 left, 9 needed at 10/s").isEqualTo(700);
        now += 10_000_000_000L; // full again
        assertThat(bucket.take(50)).as("more than the burst: granted from a full bucket").isZero();
        assertThat(bucket.take(1)).as("30 tokens of debt plus one, at 10/s").isEqualTo(3100);
        assertThat(bucket.take(50)).as("a cost above the burst waits for a full bucket").isEqualTo(5000);
        now += 5_000_000_000L;
        assertThat(bucket.take(50)).isZero();
    }

    @Test
    void aCostlyRefusalElsewhereGivesAllItsTokensBack() {
        SendBudget budget = new SendBudget(new TokenBucket(10, 10, () -> now), () -> now);
        assertThat(budget.take("g", 10)).isZero();
        budget.refusedElsewhere("g", 100, 10);
        now += 100_000_000;
        assertThat(budget.take("g", 10)).as("the bucket is full again").isZero();
    }

    @Test
    void afterARefusalOnlyTheRefusedMessageMayGoFirst() {
        SendBudget budget = new SendBudget(new TokenBucket(10, 2, () -> now), () -> now);
        assertThat(budget.take("a")).isZero();
        assertThat(budget.take("b")).isZero();
        assertThat(budget.take("c")).as("bucket empty").isEqualTo(100);
        assertThat(budget.take("d")).as("pipelined behind c").isEqualTo(100);
        now += 60_000_000;
        assertThat(budget.take("c")).as("c too early").isEqualTo(40);
        now += 40_000_000;
        assertThat(budget.take("d")).as("d may not overtake c").isPositive();
        assertThat(budget.take("c")).as("c after the wait").isZero();
        now += 100_000_000;
        assertThat(budget.take("d")).isZero();
    }

    @Test
    void aMessageKafkaDidNotStoreMustComeBackBeforeAnyLaterOne() {
        SendBudget budget = new SendBudget(new TokenBucket(1000, 1000, () -> now), () -> now);
        assertThat(budget.mustResendFirst("k")).isNull();
        budget.notStored("k");
        budget.notStored("k+1"); // its later failure does not replace the first
        assertThat(budget.mustResendFirst("k+2")).as("later messages are refused").isEqualTo("k");
        assertThat(budget.mustResendFirst("k")).as("k itself may go").isNull();
        assertThat(budget.mustResendFirst("k+2")).as("and clears the block").isNull();

        budget.notStored("x");
        now += SendBudget.MAX_BLOCK_NANOS + 1;
        assertThat(budget.mustResendFirst("y")).as("a message never sent again blocks for 10 s at most").isNull();
    }

    @Test
    void aRefusalElsewhereGivesTheTokenBackAndBlocksToo() {
        SendBudget budget = new SendBudget(new TokenBucket(10, 1, () -> now), () -> now);
        assertThat(budget.take("a")).isZero();
        budget.refusedElsewhere("a", 30, 1);
        assertThat(budget.take("b")).isEqualTo(30);
        now += 30_000_000;
        assertThat(budget.take("b")).as("b may not overtake a").isPositive();
        assertThat(budget.take("a")).as("the token given back").isZero();
    }

    @Test
    void aRefusedIdThatNeverComesBackStopsBlockingAfterTenSeconds() {
        SendBudget budget = new SendBudget(new TokenBucket(10, 1, () -> now), () -> now);
        budget.take("a");
        assertThat(budget.take("b")).isPositive();
        now += 11_000_000_000L;
        assertThat(budget.take("c")).isZero();
    }

    @Test
    void connectionsAreLimitedPerDeviceAndPerUser() {
        ConnectionLimiter limiter = new ConnectionLimiter(3, 2);
        Identity phone = new Identity("alice", "phone");
        Optional<ConnectionLimiter.Lease> a = limiter.acquire(phone);
        Optional<ConnectionLimiter.Lease> b = limiter.acquire(phone);
        assertThat(a).isPresent();
        assertThat(b).isPresent();
        assertThat(limiter.acquire(phone)).as("third connection of one device").isEmpty();
        assertThat(limiter.acquire(new Identity("alice", "laptop"))).isPresent();
        assertThat(limiter.acquire(new Identity("alice", "tablet"))).as("fourth of the user").isEmpty();
        assertThat(limiter.acquire(new Identity("bob", "phone"))).isPresent();
        a.get().release();
        a.get().release(); // twice: counted once
        assertThat(limiter.acquire(phone)).isPresent();
        assertThat(limiter.acquire(phone)).isEmpty();
    }

    @Test
    void pendingWritesTellWhenToStopAndWhenToResume() {
        PendingWrites pending = new PendingWrites(100);
        pending.start(60);
        assertThat(pending.writable()).isTrue();
        pending.start(60);
        assertThat(pending.writable()).isFalse();
        assertThat(pending.overflowing()).isFalse();
        pending.start(90);
        assertThat(pending.overflowing()).isTrue();
        assertThat(pending.done(90)).as("still full").isFalse();
        assertThat(pending.done(60)).as("drained below the limit").isTrue();
        assertThat(pending.writable()).isTrue();
        assertThat(pending.fullForMillis()).isZero();
    }
}
