package dev.pigeonhole.client.spi;

import dev.pigeonhole.client.internal.ShadowPatch;
import dev.pigeonhole.protocol.Frames;
import java.util.List;
import java.util.Optional;

/**
 * Shadow updates waiting for the server's answer, next to the message outbox (same storage). Implementations are
 * thread-safe and make every method atomic.
 *
 * <p>Contract (checked by {@code ShadowOutboxContractTest} for every implementation):
 * <ul>
 *   <li>{@link #queueShadowUpdate} returns once the update is stored as durably as the implementation can. It is
 *       <em>coalesced</em> into the newest row of the same (thing, name, section) when that row was never sent, both
 *       are unconditional (no version), and {@link ShadowPatch#coalesce} finds one equivalent patch no larger than
 *       {@link #MAX_PATCH_CHARS}: the row keeps its position and gets the merged patch and the new token. Otherwise
 *       the update gets a new row at the end;</li>
 *   <li>{@link #pendingShadowUpdates} lists rows in position order;</li>
 *   <li>{@link #claimShadowUpdate} marks a row sent and returns it as stored (null if gone): from then on nothing is
 *       merged into it;</li>
 *   <li>{@link #removeShadowUpdate} is idempotent;</li>
 *   <li>a durable implementation reopened on the same storage has the same rows, {@code sent} flags included.</li>
 * </ul>
 */
public interface ShadowOutbox {
    /** Largest patch (JSON characters) sent in one update: the request limit less room for the other fields. */
    int MAX_PATCH_CHARS = Frames.MAX_SHADOW_REQUEST - 512;

    ShadowUpdate queueShadowUpdate(String thing, String name, String section, String patch, Long version,
                                   long createdAt, String clientToken);

    List<ShadowUpdate> pendingShadowUpdates();

    ShadowUpdate claimShadowUpdate(long position);

    void removeShadowUpdate(long position);

    /** The merged patch if {@code patch} may be coalesced into {@code last} (see the class comment), else empty. */
    static Optional<String> coalesceInto(ShadowUpdate last, String patch, Long version) {
        if (last == null || last.sent() || last.version() != null || version != null) {
            return Optional.empty();
        }
        return ShadowPatch.coalesce(last.patch(), patch).filter(merged -> merged.length() <= MAX_PATCH_CHARS);
    }
}
