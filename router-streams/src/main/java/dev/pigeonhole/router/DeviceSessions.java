package dev.pigeonhole.router;

import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/** The live inbox socket of each connected device of one user: where it is, and when that was last confirmed. */
public record DeviceSessions(Map<String, Session> devices) {

    /**
     * One socket: on delivery instance {@code instance}, opened at {@code connectedAt}. Of two sockets of one device
     * the later opened one wins (ties broken by connection id), so every instance reaches the same decision.
     */
    public record Session(String instance, String connection, long connectedAt, long refreshedAt) {
        boolean newerThan(Session other) {
            return connectedAt != other.connectedAt ? connectedAt > other.connectedAt
                    : String.valueOf(connection).compareTo(String.valueOf(other.connection)) > 0;
        }
    }

    static DeviceSessions empty() {
        return new DeviceSessions(Map.of());
    }

    Session get(String device) {
        return devices.get(device);
    }

    DeviceSessions put(String device, Session session) {
        Map<String, Session> next = new HashMap<>(devices);
        next.put(device, session);
        return new DeviceSessions(next);
    }

    /** Removes the device's session if it is {@code connection} ({@code null}: whichever it is). */
    DeviceSessions remove(String device, String connection) {
        Session s = devices.get(device);
        if (s == null || (connection != null && !connection.equals(s.connection()))) {
            return this;
        }
        Map<String, Session> next = new HashMap<>(devices);
        next.remove(device);
        return new DeviceSessions(next);
    }

    DeviceSessions expire(long olderThan) {
        Map<String, Session> next = new HashMap<>(devices);
        next.values().removeIf(s -> s.refreshedAt() < olderThan);
        return next.size() == devices.size() ? this : new DeviceSessions(next);
    }

    Set<String> instances() {
        Set<String> out = new LinkedHashSet<>();
        for (Session s : devices.values()) {
            out.add(s.instance());
        }
        return out;
    }

    boolean isEmpty() {
        return devices.isEmpty();
    }
}
