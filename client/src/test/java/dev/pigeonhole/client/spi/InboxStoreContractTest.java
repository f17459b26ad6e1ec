package dev.pigeonhole.client.spi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The {@link InboxStore} contract (the local message store); every implementation has a subclass. */
public abstract class InboxStoreContractTest {
    protected InboxStore store;

    protected abstract InboxStore open();

    /** Closes and reopens on the same storage; null when the implementation is not durable. */
    protected abstract InboxStore reopen();

    protected abstract void close(InboxStore s);

    @BeforeEach
    void setUp() {
        store = open();
    }

    @AfterEach
    void tearDown() {
        close(store);
    }

    static InboxRow message(long seq, String from, boolean own) {
        return new InboxRow(0, seq, 7, "message", from, "bob", own, 1000 + seq,
                "{\"type\":\"message\",\"seq\":" + seq + ",\"from\":\"" + from + "\"}");
    }

    @Test
    void rowsAndThePositionAreStoredTogetherInOrder() {
        store.received(List.of(message(1, "alice", false), message(2, "bob", true)), new Cursor(2, 7));
        store.received(List.of(message(3, "alice", false)), new Cursor(3, 7));
        assertThat(store.load()).isEqualTo(new Cursor(3, 7));
        List<InboxRow> all = store.after(0, 100);
        assertThat(all).extracting(InboxRow::seq).containsExactly(1L, 2L, 3L);
        assertThat(all).extracting(InboxRow::id).isSorted().doesNotHaveDuplicates();
        assertThat(all.get(1)).extracting(InboxRow::kind, InboxRow::from, InboxRow::to, InboxRow::own, InboxRow::at,
                InboxRow::epoch).containsExactly("message", "bob", "bob", true, 1002L, 7L);
        assertThat(all.get(0).json()).isEqualTo("{\"type\":\"message\",\"seq\":1,\"from\":\"alice\"}");
        assertThat(store.after(all.get(0).id(), 1)).extracting(InboxRow::seq).containsExactly(2L);
        assertThat(store.newest(2)).extracting(InboxRow::seq).containsExactly(2L, 3L);
    }

    @Test
    void markersStartAtZeroAndNeverMoveBack() {
        assertThat(store.marker(InboxStore.DELIVERED)).isZero();
        store.mark(InboxStore.DELIVERED, 5);
        store.mark(InboxStore.DELIVERED, 3);
        store.mark(InboxStore.SHOWN + "cli", 2);
        assertThat(store.marker(InboxStore.DELIVERED)).isEqualTo(5);
        assertThat(store.marker(InboxStore.SHOWN + "cli")).isEqualTo(2);
        assertThat(store.marker(InboxStore.SHOWN + "other")).isZero();
    }

    @Test
    void countsMessagesFromOthersAndFindsTheNewestRowUpToASeq() {
        store.received(IntStream.rangeClosed(1, 6).mapToObj(i -> message(i, i % 3 == 0 ? "me" : "alice", i % 3 == 0))
                .toList(), new Cursor(6, 7));
        store.received(List.of(new InboxRow(0, 9, 7, InboxRow.GAP, null, null, false, 0,
                "{\"type\":\"gap\",\"from\":7,\"to\":9,\"reason\":\"expired\"}")), new Cursor(9, 7));
        List<InboxRow> all = store.after(0, 100);
        assertThat(store.messagesFromOthersAfter(0)).isEqualTo(4);
        assertThat(store.messagesFromOthersAfter(all.get(3).id())).isEqualTo(1);
        assertThat(store.lastIdAtOrBelow(4)).isEqualTo(all.get(3).id());
        assertThat(store.lastIdAtOrBelow(100)).isEqualTo(all.get(6).id());
        assertThat(store.lastIdAtOrBelow(0)).isZero();
    }

    @Test
    void aDurableStoreKeepsRowsMarkersAndPosition() {
        store.received(List.of(message(1, "alice", false), message(2, "alice", false)), new Cursor(2, 7));
        store.mark(InboxStore.DELIVERED, store.after(0, 1).get(0).id());
        InboxStore reopened = reopen();
        if (reopened == null) {
            return;
        }
        store = reopened;
        assertThat(store.load()).isEqualTo(new Cursor(2, 7));
        assertThat(store.after(store.marker(InboxStore.DELIVERED), 10)).extracting(InboxRow::seq).containsExactly(2L);
        store.received(List.of(message(3, "alice", false)), new Cursor(3, 7));
        assertThat(store.after(0, 10)).extracting(InboxRow::seq).containsExactly(1L, 2L, 3L);
    }
}
