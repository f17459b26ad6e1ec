package dev.pigeonhole.client.spi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The {@link Outbox} contract; every implementation has a subclass. */
public abstract class OutboxContractTest {
    protected Outbox outbox;

    protected abstract Outbox open();

    /** Closes and reopens on the same storage; null when the implementation is not durable. */
    protected abstract Outbox reopen();

    @BeforeEach
    void setUp() {
        outbox = open();
    }

    @AfterEach
    void tearDown() {
        outbox.close();
    }

    @Test
    void pendingListsMessagesInTheOrderTheyWereAdded() {
        for (int i = 0; i < 50; i++) {
            outbox.add("m-" + i, i % 2 == 0 ? "bob" : "carol", "{\"n\":" + i + "}", 1000 + i);
        }
        List<OutboxMessage> pending = outbox.pending();
        assertThat(pending).extracting(OutboxMessage::id)
                .containsExactlyElementsOf(java.util.stream.IntStream.range(0, 50).mapToObj(i -> "m-" + i).toList());
        assertThat(pending.get(3)).extracting(OutboxMessage::to, OutboxMessage::body, OutboxMessage::createdAt)
                .containsExactly("carol", "{\"n\":3}", 1003L);
        assertThat(pending).extracting(OutboxMessage::position).isSorted();
    }

    @Test
    void addingAnIdTwiceKeepsTheFirst() {
        OutboxMessage first = outbox.add("dup", "bob", "1", 1);
        outbox.add("other", "bob", "2", 2);
        OutboxMessage again = outbox.add("dup", "carol", "3", 3);
        assertThat(again).isEqualTo(first);
        assertThat(outbox.pending()).extracting(OutboxMessage::id).containsExactly("dup", "other");
    }

    @Test
    void removeDeletesByIdAndIsIdempotent() {
        outbox.add("a", "bob", "1", 1);
        outbox.add("b", "bob", "2", 2);
        outbox.add("c", "bob", "3", 3);
        outbox.remove("b");
        outbox.remove("b");
        outbox.remove("never-added");
        assertThat(outbox.pending()).extracting(OutboxMessage::id).containsExactly("a", "c");
        outbox.removeAll(List.of("a", "c", "zzz"));
        assertThat(outbox.pending()).isEmpty();
    }

    @Test
    void aRemovedIdCanBeQueuedAgainAtTheEnd() {
        outbox.add("a", "bob", "1", 1);
        outbox.add("b", "bob", "2", 2);
        outbox.remove("a");
        outbox.add("a", "bob", "1", 3);
        assertThat(outbox.pending()).extracting(OutboxMessage::id).containsExactly("b", "a");
    }

    @Test
    void aDurableOutboxKeepsItsMessagesAcrossReopen() {
        outbox.add("a", "bob", "{\"text\":\"\u00e9t\u00e9 \ud83d\udc26\"}", 1);
        outbox.add("b", "carol", "[1,2]", 2);
        outbox.remove("a");
        outbox.add("c", "dave", "true", 3);
        Outbox reopened = reopen();
        if (reopened == null) {
            return; // not a durable implementation
        }
        outbox = reopened;
        assertThat(outbox.pending()).extracting(OutboxMessage::id, OutboxMessage::to, OutboxMessage::body)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("b", "carol", "[1,2]"),
                        org.assertj.core.groups.Tuple.tuple("c", "dave", "true"));
        outbox.add("d", "erin", "1", 4);
        assertThat(outbox.pending()).extracting(OutboxMessage::id).containsExactly("b", "c", "d");
    }
}
