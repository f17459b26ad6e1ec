package dev.pigeonhole.router;

import java.util.HashMap;
import java.util.Map;

/**
 * What a task knows of the delivery instances: the last {@code Lease} each wrote to this partition. A session lives
 * while its instance renews its lease, and ends when the instance goes silent for {@code expiry} or restarts (a lease
 * with a later {@code since}: sessions announced before it belong to the previous run, whose sockets are gone).
 *
 * <p>Kept in memory: a task that just started has not heard from every instance yet, so for an instance it has no
 * lease of it falls back to the session's own age, and only once it has run for {@code expiry} (every live instance
 * renews well within that). Expiry is wall-clock housekeeping, not a decision replayed from the log, so nothing here
 * needs to be restored.
 */
final class Leases {
    private record Lease(long since, long renewedAt) {}

    private final Map<String, Lease> byInstance = new HashMap<>();
    private final long expiryMs;
    private final long startedAt;

    Leases(long expiryMs, long startedAt) {
        this.expiryMs = expiryMs;
        this.startedAt = startedAt;
    }

    void renew(String instance, long since, long at) {
        Lease old = byInstance.get(instance);
        byInstance.put(instance, old == null ? new Lease(since, at)
                : new Lease(Math.max(old.since, since), Math.max(old.renewedAt, at)));
    }

    /** Whether the session, announced at {@code announcedAt} by {@code instance}, has ended by {@code now}. */
    boolean ended(String instance, long announcedAt, long now) {
        long olderThan = now - expiryMs;
        Lease lease = byInstance.get(instance);
        if (lease != null) {
            return lease.renewedAt < olderThan || announcedAt < lease.since;
        }
        return announcedAt < olderThan && startedAt < olderThan;
    }
}
