package dev.pigeonhole.router;

import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/** Which delivery instance holds each connected device of one user, and when that was last confirmed. */
public record DeviceSessions(Map<String, Session> devices) {

    public record Session(String instance, long refreshedAt) {}

    static DeviceSessions empty() {
        return new DeviceSessions(Map.of());
    }

    DeviceSessions connect(String device, String instance, long now) {
        Map<String, Session> next = new HashMap<>(devices);
        next.put(device, new Session(instance, now));
        return new DeviceSessions(next);
    }

    /** Removes the device only if it is still registered on {@code instance} (a late disconnect must not win). */
    DeviceSessions disconnect(String device, String instance) {
        Session s = devices.get(device);
        if (s == null || !s.instance().equals(instance)) {
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
        Collection<Session> all = devices.values();
        for (Session s : all) {
            out.add(s.instance());
        }
        return out;
    }

    boolean isEmpty() {
        return devices.isEmpty();
    }
}
