package dev.pigeonhole.client.spi;

/**
 * A shadow update waiting in the outbox for the server's answer.
 *
 * @param position    order of the updates; one section of one shadow is sent in this order, one at a time
 * @param name        "" for the classic shadow
 * @param section     {@code desired} or {@code reported}
 * @param patch       the section's JSON: an object (merged) or {@code null} (cleared)
 * @param version     the expected version, or null for an unconditional update
 * @param clientToken identifies the update to the server (it deduplicates resends by device and token); changes when
 *                    a newer patch is merged in, never after {@code sent}
 * @param sent        the update may have reached the server: its content and token are frozen, a newer patch of the
 *                    same section gets a row of its own
 */
public record ShadowUpdate(long position, String thing, String name, String section, String patch, Long version,
                           String clientToken, long createdAt, boolean sent) {

    /** Updates with the same key are applied in position order, one at a time. */
    public String key() {
        return thing + "/" + name + "/" + section;
    }
}
