package dev.pigeonhole.client.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The {@link ShadowOutbox} contract; every implementation has a subclass. */
public abstract class ShadowOutboxContractTest {
    protected ShadowOutbox store;

    protected abstract ShadowOutbox open();

    /** Closes and reopens on the same storage; null when the implementation is not durable. */
    protected abstract ShadowOutbox reopen();

    protected abstract void close(ShadowOutbox store);

    @BeforeEach
    void setUp() {
        store = open();
    }

    @AfterEach
    void tearDown() {
        close(store);
    }

    private ShadowUpdate queue(String thing, String name, String section, String patch, Long version, String token) {
        return store.queueShadowUpdate(thing, name, section, patch, version, 1000, token);
    }

    @Test
    void waitingPatchesOfOneSectionAreCoalescedIntoOneRowWithTheLastToken() {
        ShadowUpdate first = queue("thermostat", "", "desired", "{\"temperature\":19,\"mode\":\"eco\"}", null, "t1");
        ShadowUpdate second = queue("thermostat", "", "desired", "{\"temperature\":20,\"schedule\":null}", null, "t2");
        ShadowUpdate third = queue("thermostat", "", "desired", "{\"temperature\":21}", null, "t3");
        assertThat(second.position()).isEqualTo(first.position());
        assertThat(third.position()).isEqualTo(first.position());
        assertThat(store.pendingShadowUpdates()).hasSize(1).first().satisfies(u -> {
            assertThat(u.patch()).isEqualTo("{\"temperature\":21,\"mode\":\"eco\",\"schedule\":null}");
            assertThat(u.clientToken()).isEqualTo("t3");
            assertThat(u.version()).isNull();
            assertThat(u.sent()).isFalse();
            assertThat(u.createdAt()).isEqualTo(1000);
        });
    }

    @Test
    void sectionsShadowsAndThingsAreKeptApartInOrder() {
        queue("thermostat", "", "desired", "{\"t\":1}", null, "a");
        queue("thermostat", "", "reported", "{\"t\":2}", null, "b");
        queue("thermostat", "config", "desired", "{\"t\":3}", null, "c");
        queue("lamp", "", "desired", "{\"on\":true}", null, "d");
        queue("thermostat", "", "desired", "{\"u\":1}", null, "e");
        assertThat(store.pendingShadowUpdates())
                .extracting(ShadowUpdate::thing, ShadowUpdate::name, ShadowUpdate::section, ShadowUpdate::patch,
                        ShadowUpdate::clientToken)
                .containsExactly(tuple("thermostat", "", "desired", "{\"t\":1,\"u\":1}", "e"),
                        tuple("thermostat", "", "reported", "{\"t\":2}", "b"),
                        tuple("thermostat", "config", "desired", "{\"t\":3}", "c"),
                        tuple("lamp", "", "desired", "{\"on\":true}", "d"));
        assertThat(store.pendingShadowUpdates()).extracting(ShadowUpdate::position).isSorted();
    }

    @Test
    void aSentRowIsFrozenAndANewerPatchGetsARowOfItsOwn() {
        ShadowUpdate first = queue("thermostat", "", "desired", "{\"t\":19}", null, "t1");
        ShadowUpdate claimed = store.claimShadowUpdate(first.position());
        assertThat(claimed).extracting(ShadowUpdate::patch, ShadowUpdate::clientToken, ShadowUpdate::sent)
                .containsExactly("{\"t\":19}", "t1", true);
        ShadowUpdate second = queue("thermostat", "", "desired", "{\"t\":20}", null, "t2");
        ShadowUpdate third = queue("thermostat", "", "desired", "{\"t\":21}", null, "t3");
        assertThat(second.position()).isGreaterThan(first.position());
        assertThat(third.position()).isEqualTo(second.position());
        assertThat(store.pendingShadowUpdates())
                .extracting(ShadowUpdate::patch, ShadowUpdate::clientToken, ShadowUpdate::sent)
                .containsExactly(tuple("{\"t\":19}", "t1", true), tuple("{\"t\":21}", "t3", false));
        // claiming again (a resend) returns the same frozen content
        assertThat(store.claimShadowUpdate(first.position())).isEqualTo(claimed);
    }

    @Test
    void conditionalUpdatesAreNeverCoalesced() {
        queue("thermostat", "", "desired", "{\"t\":19}", null, "t1");
        queue("thermostat", "", "desired", "{\"t\":20}", 4L, "t2");
        queue("thermostat", "", "desired", "{\"t\":21}", null, "t3");
        queue("thermostat", "", "desired", "{\"t\":22}", null, "t4");
        assertThat(store.pendingShadowUpdates())
                .extracting(ShadowUpdate::patch, ShadowUpdate::version, ShadowUpdate::clientToken)
                .containsExactly(tuple("{\"t\":19}", null, "t1"), tuple("{\"t\":20}", 4L, "t2"),
                        tuple("{\"t\":22}", null, "t4"));
    }

    @Test
    void aPairWithoutOneEquivalentPatchGetsTwoRows() {
        queue("thermostat", "", "desired", "null", null, "t1");
        queue("thermostat", "", "desired", "{\"t\":20}", null, "t2");
        queue("thermostat", "", "desired", "{\"mode\":\"eco\"}", null, "t3");
        assertThat(store.pendingShadowUpdates()).extracting(ShadowUpdate::patch, ShadowUpdate::clientToken)
                .containsExactly(tuple("null", "t1"), tuple("{\"t\":20,\"mode\":\"eco\"}", "t3"));
        queue("thermostat", "", "desired", "null", null, "t4");
        assertThat(store.pendingShadowUpdates()).extracting(ShadowUpdate::patch, ShadowUpdate::clientToken)
                .containsExactly(tuple("null", "t1"), tuple("null", "t4"));
    }

    @Test
    void aMergeThatWouldNotFitInARequestGetsANewRow() {
        String big = "x".repeat(ShadowOutbox.MAX_PATCH_CHARS / 2);
        queue("thermostat", "", "desired", "{\"a\":\"" + big + "\"}", null, "t1");
        queue("thermostat", "", "desired", "{\"b\":\"" + big + "\"}", null, "t2");
        assertThat(store.pendingShadowUpdates()).extracting(ShadowUpdate::clientToken).containsExactly("t1", "t2");
    }

    @Test
    void removeIsIdempotentAndPositionsAreNotReused() {
        ShadowUpdate a = queue("thermostat", "", "desired", "{\"t\":1}", null, "t1");
        ShadowUpdate b = queue("lamp", "", "desired", "{\"on\":true}", null, "t2");
        store.removeShadowUpdate(b.position());
        store.removeShadowUpdate(b.position());
        store.removeShadowUpdate(12345);
        assertThat(store.claimShadowUpdate(b.position())).isNull();
        ShadowUpdate c = queue("lamp", "", "desired", "{\"on\":false}", null, "t3");
        assertThat(c.position()).isGreaterThan(b.position());
        assertThat(store.pendingShadowUpdates()).extracting(ShadowUpdate::clientToken).containsExactly("t1", "t3");
        store.removeShadowUpdate(a.position());
        store.removeShadowUpdate(c.position());
        assertThat(store.pendingShadowUpdates()).isEmpty();
    }

    @Test
    void aDurableStoreKeepsShadowUpdatesAcrossReopen() {
        ShadowUpdate sent = queue("thermostat", "", "desired", "{\"t\":19}", null, "t1");
        store.claimShadowUpdate(sent.position());
        queue("thermostat", "", "desired", "{\"t\":20,\"mode\":{\"fan\":\"auto\"}}", null, "t2");
        queue("thermostat", "", "desired", "{\"t\":21,\"mode\":{\"fan\":null}}", null, "t3");
        queue("thermostat", "config", "reported", "{\"fw\":\"1.2 \u00e9t\u00e9\"}", 7L, "t4");
        ShadowUpdate gone = queue("lamp", "", "desired", "{\"on\":true}", null, "t5");
        store.removeShadowUpdate(gone.position());
        List<ShadowUpdate> before = store.pendingShadowUpdates();
        ShadowOutbox reopened = reopen();
        if (reopened == null) {
            return; // not a durable implementation
        }
        store = reopened;
        List<ShadowUpdate> after = store.pendingShadowUpdates();
        assertThat(after).isEqualTo(before);
        assertThat(after).extracting(ShadowUpdate::patch, ShadowUpdate::version, ShadowUpdate::clientToken,
                        ShadowUpdate::sent)
                .containsExactly(tuple("{\"t\":19}", null, "t1", true),
                        tuple("{\"t\":21,\"mode\":{\"fan\":null}}", null, "t3", false),
                        tuple("{\"fw\":\"1.2 \u00e9t\u00e9\"}", 7L, "t4", false));
        // coalescing goes on after the reopen: into the unsent row, never into the sent one
        queue("thermostat", "", "desired", "{\"t\":22}", null, "t6");
        assertThat(store.pendingShadowUpdates()).extracting(ShadowUpdate::patch, ShadowUpdate::clientToken)
                .containsExactly(tuple("{\"t\":19}", "t1"), tuple("{\"t\":22,\"mode\":{\"fan\":null}}", "t6"),
                        tuple("{\"fw\":\"1.2 \u00e9t\u00e9\"}", "t4"));
    }
}
