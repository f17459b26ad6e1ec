package dev.pigeonhole.router;

import dev.pigeonhole.records.RecordFormatException;
import dev.pigeonhole.records.RecordReader;
import dev.pigeonhole.records.RecordWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Per-user inbox state: the epoch of its history, the last assigned seq, the lowest seq still stored, the registered
 * devices with their cursors, the live socket of each connected device, and the last ranges retention removed (to
 * name the reason in gaps). Immutable; every change returns a new value.
 */
public record InboxMeta(long epoch, long head, long oldest, Map<String, Device> devices, Map<String, Session> live,
                        List<Trim> trims) {
    /** Trim ranges kept to explain gaps; older ones are forgotten (their reason then reads {@code trimmed}). */
    static final int MAX_TRIMS = 16;

    /** A registered device: its acked cursor and its read marker. */
    public record Device(long cursor, long read, long registeredAt) {}

    /** The live inbox socket of a device: which delivery instance holds it, and when it last said so. */
    public record Session(String instance, String connection, long announcedAt) {}

    /** Entries {@code from..to} were removed for {@code reason}. */
    public record Trim(long from, long to, String reason) {}

    /** A new, empty inbox; the epoch is the timestamp of the operation that created it (deterministic on replay). */
    static InboxMeta create(long timestamp) {
        return new InboxMeta(Math.max(1, timestamp), 0, 1, Map.of(), Map.of(), List.of());
    }

    InboxMeta append() {
        return new InboxMeta(epoch, head + 1, oldest, devices, live, trims);
    }

    long cursor(String device) {
        Device d = devices.get(device);
        return d == null ? 0 : d.cursor();
    }

    boolean knows(String device) {
        return devices.containsKey(device);
    }

    /** Where a device the inbox does not know starts: at the head if the user has other devices, else at 0. */
    long newDevicePosition() {
        return devices.isEmpty() ? 0 : head;
    }

    /** Registers a device at {@code cursor} (clamped to the head); a known device is left as it is. */
    InboxMeta register(String device, long cursor, long now) {
        if (knows(device)) {
            return this;
        }
        long at = Math.min(Math.max(0, cursor), head);
        return withDevice(device, new Device(at, at, now));
    }

    InboxMeta remove(String device) {
        if (!knows(device)) {
            return this;
        }
        Map<String, Device> next = new HashMap<>(devices);
        next.remove(device);
        return new InboxMeta(epoch, head, oldest, next, live, trims);
    }

    /** Moves a device's cursor forward (never back, never past the head). */
    InboxMeta ack(String device, long seq) {
        Device d = devices.get(device);
        long target = Math.min(seq, head);
        if (d == null || target <= d.cursor()) {
            return this;
        }
        return withDevice(device, new Device(target, d.read(), d.registeredAt()));
    }

    /** Moves a device's read marker forward (never past the head). */
    InboxMeta read(String device, long seq) {
        Device d = devices.get(device);
        long target = Math.min(seq, head);
        if (d == null || target <= d.read()) {
            return this;
        }
        return withDevice(device, new Device(d.cursor(), target, d.registeredAt()));
    }

    private InboxMeta withDevice(String device, Device d) {
        Map<String, Device> next = new HashMap<>(devices);
        next.put(device, d);
        return new InboxMeta(epoch, head, oldest, next, live, trims);
    }

    InboxMeta withSession(String device, Session session) {
        Map<String, Session> next = new HashMap<>(live);
        next.put(device, session);
        return new InboxMeta(epoch, head, oldest, devices, next, trims);
    }

    /** Drops the device's session if it is {@code connection} ({@code null}: whichever it is). */
    InboxMeta withoutSession(String device, String connection) {
        Session s = live.get(device);
        if (s == null || (connection != null && !connection.equals(s.connection()))) {
            return this;
        }
        Map<String, Session> next = new HashMap<>(live);
        next.remove(device);
        return new InboxMeta(epoch, head, oldest, devices, next, trims);
    }

    /** Drops the sessions {@code ended} says are over: their instance died or restarted without saying so. */
    InboxMeta expireSessions(java.util.function.Predicate<Session> ended) {
        if (live.values().stream().noneMatch(ended)) {
            return this;
        }
        Map<String, Session> next = new HashMap<>(live);
        next.values().removeIf(ended);
        return new InboxMeta(epoch, head, oldest, devices, next, trims);
    }

    /** The delivery instances holding a socket of this user: where new entries are pushed. */
    Set<String> instances() {
        if (live.isEmpty()) {
            return Set.of();
        }
        Set<String> out = new LinkedHashSet<>();
        for (Session s : live.values()) {
            out.add(s.instance());
        }
        return out;
    }

    /** The highest cursor of any device: entries up to it were received by at least one device. */
    long maxCursor() {
        return devices.values().stream().mapToLong(Device::cursor).max().orElse(0);
    }

    /** The lowest cursor of all devices; 0 without devices (nothing counts as acked by every device then). */
    long minCursor() {
        return devices.values().stream().mapToLong(Device::cursor).min().orElse(0);
    }

    long maxRead() {
        return devices.values().stream().mapToLong(Device::read).max().orElse(0);
    }

    /** How many registered devices acked {@code seq}. */
    int ackedBy(long seq) {
        return (int) devices.values().stream().filter(d -> d.cursor() >= seq).count();
    }

    /** Records that entries {@code oldest..to} were removed for {@code reason}. */
    InboxMeta trimmedTo(long to, String reason) {
        List<Trim> next = new ArrayList<>(trims);
        Trim last = next.isEmpty() ? null : next.get(next.size() - 1);
        if (last != null && last.reason().equals(reason) && last.to() + 1 >= oldest) {
            next.set(next.size() - 1, new Trim(last.from(), to, reason));
        } else {
            next.add(new Trim(oldest, to, reason));
        }
        while (next.size() > MAX_TRIMS) {
            next.remove(0);
        }
        return new InboxMeta(epoch, head, to + 1, devices, live, next);
    }

    /** Why entry {@code seq} (below {@link #oldest()}) is gone. */
    String trimReason(long seq) {
        for (Trim t : trims) {
            if (seq >= t.from() && seq <= t.to()) {
                return t.reason();
            }
        }
        return Retention.TRIMMED;
    }

    byte[] encode() {
        RecordWriter w = RecordWriter.record(TYPE, 48 + 32 * (devices.size() + live.size() + trims.size()))
                .varLong(epoch).varLong(head).varLong(oldest).varLong(devices.size());
        devices.forEach((id, d) -> w.string(id).varLong(d.cursor()).varLong(d.read()).varLong(d.registeredAt()));
        w.varLong(live.size());
        live.forEach((id, s) -> w.string(id).string(s.instance()).string(s.connection()).varLong(s.announcedAt()));
        w.varLong(trims.size());
        trims.forEach(t -> w.varLong(t.from()).varLong(t.to()).string(t.reason()));
        return w.toByteArray();
    }

    static InboxMeta decode(byte[] bytes) {
        RecordReader r = RecordReader.record(bytes, "inbox meta");
        if (r.u8() != TYPE) {
            throw new RecordFormatException("not an inbox meta");
        }
        long epoch = r.varLong();
        long head = r.varLong();
        long oldest = r.varLong();
        Map<String, Device> devices = new HashMap<>();
        for (long n = r.varLong(); n > 0; n--) {
            devices.put(r.string(), new Device(r.varLong(), r.varLong(), r.varLong()));
        }
        Map<String, Session> live = new HashMap<>();
        for (long n = r.varLong(); n > 0; n--) {
            live.put(r.string(), new Session(r.string(), r.string(), r.varLong()));
        }
        List<Trim> trims = new ArrayList<>();
        for (long n = r.varLong(); n > 0; n--) {
            trims.add(new Trim(r.varLong(), r.varLong(), r.string()));
        }
        return new InboxMeta(epoch, head, oldest, devices, live, trims);
    }

    private static final int TYPE = 2;
}
