package dev.pigeonhole.access;

import dev.pigeonhole.protocol.Identity;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** Counts open connections per user and per device on one endpoint of this instance. */
public final class ConnectionLimiter {
    /** A granted connection slot; release it exactly once when the connection closes. */
    public interface Lease {
        void release();
    }

    private final int perUser;
    private final int perDevice;
    private final Map<String, Integer> users = new ConcurrentHashMap<>();
    private final Map<Identity, Integer> devices = new ConcurrentHashMap<>();

    public ConnectionLimiter(int perUser, int perDevice) {
        this.perUser = perUser;
        this.perDevice = perDevice;
    }

    /** A slot, or empty when the user or the device already has the maximum open. */
    public synchronized Optional<Lease> acquire(Identity identity) {
        if (users.getOrDefault(identity.user(), 0) >= perUser || devices.getOrDefault(identity, 0) >= perDevice) {
            return Optional.empty();
        }
        users.merge(identity.user(), 1, Integer::sum);
        devices.merge(identity, 1, Integer::sum);
        boolean[] released = {false};
        return Optional.of(() -> release(identity, released));
    }

    private synchronized void release(Identity identity, boolean[] released) {
        if (released[0]) {
            return;
        }
        released[0] = true;
        users.computeIfPresent(identity.user(), (u, n) -> n <= 1 ? null : n - 1);
        devices.computeIfPresent(identity, (d, n) -> n <= 1 ? null : n - 1);
    }
}
