package dev.pigeonhole.load;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LedgerTest {
    @Test
    void countsLostDuplicatedAndReorderedPerRecipient() {
        Ledger ledger = new Ledger(1, 2, new int[0][]);
        for (int n = 0; n < 4; n++) {
            ledger.sent(0, 1, n);
            ledger.accepted(0, n);
        }
        assertThat(ledger.received(1, 0, 0)).isTrue();
        assertThat(ledger.received(1, 0, 2)).isTrue();
        assertThat(ledger.received(1, 0, 1)).isTrue(); // after 2: reordered
        assertThat(ledger.received(1, 0, 2)).isFalse(); // again: duplicated
        assertThat(ledger.complete()).isFalse();

        Ledger.Verdict v = ledger.verdict();
        assertThat(v.expected()).isEqualTo(4);
        assertThat(v.received()).isEqualTo(3);
        assertThat(v.lost()).isEqualTo(1); // n = 3
        assertThat(v.duplicated()).isEqualTo(1);
        assertThat(v.reordered()).isEqualTo(1);
        assertThat(v.clean()).isFalse();
    }

    @Test
    void undeliveredBeforeCountsOnlyAcceptedMessagesIntendedBeforeTheCutoff() {
        Ledger ledger = new Ledger(1, 2, new int[0][]);
        for (int n = 0; n < 4; n++) {
            ledger.sent(0, 1, 100 + n); // intended at 100..103
        }
        ledger.accepted(0, 0);
        ledger.accepted(0, 1);
        ledger.accepted(0, 3); // 2 is unanswered: not owed yet
        assertThat(ledger.undeliveredBefore(103)).isEqualTo(2);
        ledger.received(1, 0, 1);
        assertThat(ledger.undeliveredBefore(103)).isEqualTo(1);
        ledger.received(1, 0, 0);
        assertThat(ledger.undeliveredBefore(103)).isZero();
        assertThat(ledger.undeliveredBefore(104)).as("3 was sent at the cutoff's side that counts").isEqualTo(1);
    }

    @Test
    void aGroupSendIsOwedToEveryOtherMemberAndARefusalToNobody() {
        Ledger ledger = new Ledger(3, 3, new int[][] {{0, 1, 2}});
        long group = ledger.sent(0, -1, 10);
        long refused = ledger.sent(0, 1, 11);
        assertThat(ledger.accepted(0, group)).isEqualTo(10);
        assertThat(ledger.accepted(0, group)).as("a repeated accepted").isEqualTo(-1);
        ledger.refused(0, refused);
        ledger.received(1, 0, group);
        assertThat(ledger.complete()).isFalse();
        ledger.received(2, 0, group);
        assertThat(ledger.complete()).isTrue();
        Ledger.Verdict v = ledger.verdict();
        assertThat(v.expected()).isEqualTo(2);
        assertThat(v.refused()).isEqualTo(1);
        assertThat(v.clean()).isTrue();
    }

    @Test
    void unansweredSendsAreNotClean() {
        Ledger ledger = new Ledger(1, 1, new int[0][]);
        ledger.sent(0, 0, 0);
        assertThat(ledger.verdict().unanswered()).isEqualTo(1);
        assertThat(ledger.verdict().clean()).isFalse();
    }

    @Test
    void parsesOnlyItsOwnIds() {
        assertThat(Ledger.parse(Ledger.id(7, 42))).containsExactly(7, 42);
        assertThat(Ledger.parse("m-0001")).isNull();
        assertThat(Ledger.parse(null)).isNull();
    }
}
