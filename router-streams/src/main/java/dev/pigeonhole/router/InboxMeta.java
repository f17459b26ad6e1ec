package dev.pigeonhole.router;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Per-user inbox state: the epoch of its history, the last assigned seq, the lowest seq still stored, the
 * registered devices with their cursors, and the last ranges retention removed (to name the reason in gaps).
 */
public record InboxMeta(long epoch, long head, long oldest, Map<String, Device> devices, List<Trim> trims) {
    /** Trim ranges kept to explain gaps; older ones are forgotten (their reason then reads {@code trimmed}). */
    static final int MAX_TRIMS = 16;

    /** A registered device: its acked cursor and its read marker. */
    public record Device(long cursor, long read, long registeredAt) {}

    /** Entries {@code from..to} were removed for {@code reason}. */
    public record Trim(long from, long to, String reason) {}

    /** A new, empty inbox; the epoch is the timestamp of the record that created it (deterministic on replay). */
    static InboxMeta create(long timestamp) {
        return new InboxMeta(Math.max(1, timestamp), 0, 1, Map.of(), List.of());
    }

    InboxMeta append() {
        return new InboxMeta(epoch, head + 1, oldest(), devices, trims);
    }

    /** The lowest seq still stored; {@code head + 1} when the inbox holds nothing. */
    @Override
    public long oldest() {
        return Math.max(1, oldest);
    }

    @Override
    public Map<String, Device> devices() {
        return devices == null ? Map.of() : devices;
    }

    @Override
    public List<Trim> trims() {
        return trims == null ? List.of() : trims;
    }

    long cursor(String device) {
        Device d = devices().get(device);
        return d == null ? 0 : d.cursor();
    }

    boolean knows(String device) {
        return devices().containsKey(device);
    }

    /** Where a device the inbox does not know starts: at the head if the user has other devices, else at 0. */
    long newDevicePosition() {
        return devices().isEmpty() ? 0 : head;
    }

    /** Registers a device at {@code cursor} (clamped to the head); a known device is left as it is. */
    InboxMeta register(String device, long cursor, long now) {
        if (knows(device)) {
            return this;
        }
        Map<String, Device> next = new HashMap<>(devices());
        long at = Math.min(Math.max(0, cursor), head);
        next.put(device, new Device(at, at, now));
        return new InboxMeta(epoch, head, oldest(), next, trims);
    }

    InboxMeta remove(String device) {
        if (!knows(device)) {
            return this;
        }
        Map<String, Device> next = new HashMap<>(devices());
        next.remove(device);
        return new InboxMeta(epoch, head, oldest(), next, trims);
    }

    /** Moves a device's cursor forward (never back, never past the head). */
    InboxMeta ack(String device, long seq) {
        Device d = devices().get(device);
        long target = Math.min(seq, head);
        if (d == null || target <= d.cursor()) {
            return this;
        }
        return with(device, new Device(target, d.read(), d.registeredAt()));
    }

    /** Moves a device's read marker forward (never past the head). */
    InboxMeta read(String device, long seq) {
        Device d = devices().get(device);
        long target = Math.min(seq, head);
        if (d == null || target <= d.read()) {
            return this;
        }
        return with(device, new Device(d.cursor(), target, d.registeredAt()));
    }

    private InboxMeta with(String device, Device d) {
        Map<String, Device> next = new HashMap<>(devices());
        next.put(device, d);
        return new InboxMeta(epoch, head, oldest(), next, trims);
    }

    /** The highest cursor of any device: entries up to it were received by at least one device. */
    long maxCursor() {
        return devices().values().stream().mapToLong(Device::cursor).max().orElse(0);
    }

    /** The lowest cursor of all devices; 0 without devices (nothing counts as acked by every device then). */
    long minCursor() {
        return devices().values().stream().mapToLong(Device::cursor).min().orElse(0);
    }

    long maxRead() {
        return devices().values().stream().mapToLong(Device::read).max().orElse(0);
    }

    /** How many registered devices acked {@code seq}. */
    int ackedBy(long seq) {
        return (int) devices().values().stream().filter(d -> d.cursor() >= seq).count();
    }

    /** Records that entries {@code oldest..to} were removed for {@code reason}. */
    InboxMeta trimmedTo(long to, String reason) {
        List<Trim> next = new ArrayList<>(trims());
        Trim last = next.isEmpty() ? null : next.get(next.size() - 1);
        if (last != null && last.reason().equals(reason) && last.to() + 1 >= oldest()) {
            next.set(next.size() - 1, new Trim(last.from(), to, reason));
        } else {
            next.add(new Trim(oldest(), to, reason));
        }
        while (next.size() > MAX_TRIMS) {
            next.remove(0);
        }
        return new InboxMeta(epoch, head, to + 1, devices, next);
    }

    /** Why entry {@code seq} (below {@link #oldest()}) is gone. */
    String trimReason(long seq) {
        for (Trim t : trims()) {
            if (seq >= t.from() && seq <= t.to()) {
                return t.reason();
            }
        }
        return Retention.TRIMMED;
    }
}
