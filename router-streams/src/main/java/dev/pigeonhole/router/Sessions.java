package dev.pigeonhole.router;

import dev.pigeonhole.records.InboxOp;
import dev.pigeonhole.records.Push;

/**
 * Keeps, per user, the one live inbox socket of each device and the registered devices.
 *
 * <ul>
 *   <li>A connect registers an unknown device: at the position its socket asked for, else at the inbox head when
 *       the user has other devices (a new device starts at the tail), else at 0 (a first device gets everything).
 *   <li>One socket per device (S7): of two sockets of one device the one whose connect came later in the log wins —
 *       an order every replica and replay agrees on, whatever the instances' clocks say. The router orders the
 *       instance of the loser to close it ({@code DISPLACED}); a refresh from a displaced socket gets the same order.
 *   <li>On every connect (and refresh, from instances older than leases) it pushes the inbox head to that instance,
 *       naming the socket: entries appended before were read from the store, later ones are pushed, so none is missed
 *       between backlog and live. When nothing waits for the device (it starts at the head) the push says so, and
 *       delivery starts the stream without reading the store.
 *   <li>A session lives until its socket disconnects or its instance's lease ends ({@link Leases}).
 *   <li>Registering a device that is a thing re-appends its shadows' pending deltas it would start after
 *       ({@link Shadows#registered}).
 *   <li>Removing a device drops its cursor and closes its socket ({@code REMOVED}).
 *   <li>A user has at most {@code maxDevices} registered devices: the connect of an unknown device beyond them changes
 *       nothing and closes its socket ({@code TOO_MANY_DEVICES}). The count is in the inbox state, so the decision is
 *       a function of the log (and the setting).
 * </ul>
 */
final class Sessions {
    private final Inboxes inboxes;
    private final int maxDevices;
    private final RouterMetrics metrics;
    private final Shadows shadows;

    Sessions(Inboxes inboxes, Shadows shadows, int maxDevices, RouterMetrics metrics) {
        this.inboxes = inboxes;
        this.shadows = shadows;
        this.maxDevices = maxDevices;
        this.metrics = metrics;
    }

    void connect(String user, InboxOp.Connect c, long timestamp, Outputs out) {
        InboxMeta m = inboxes.metaOrCreate(user, timestamp);
        if (!m.knows(c.device()) && m.devices().size() >= maxDevices) {
            metrics.deviceRefused();
            out.push(c.instance(), new Push.Close(user, c.device(), c.connection(), Push.Close.Reason.TOO_MANY_DEVICES),
                    timestamp);
            return;
        }
        InboxMeta.Session live = m.live().get(c.device());
        if (live != null && !live.connection().equals(c.connection())) {
            close(user, c.device(), live, Push.Close.Reason.DISPLACED, timestamp, out);
        }
        m = m.withSession(c.device(), new InboxMeta.Session(c.instance(), c.connection(), timestamp));
        boolean registers = !m.knows(c.device());
        if (registers) {
            m = m.register(c.device(), c.after() != null ? c.after() : m.newDevicePosition(), timestamp);
        }
        inboxes.meta.put(user, m);
        long from = c.after() != null ? c.after() : m.cursor(c.device());
        out.push(c.instance(), new Push.Head(user, m.epoch(), m.head(), c.connection(), from == m.head() ? from : null),
                timestamp);
        if (registers) { // after the head: what this appends reaches the new socket live
            shadows.registered(user, c.device(), from, timestamp, out);
        }
    }

    /** A refresh never registers a device (a removed one stays removed) and never displaces the live socket. */
    void refresh(String user, InboxOp.Refresh r, long timestamp, Outputs out) {
        InboxMeta m = inboxes.metaOrCreate(user, timestamp);
        InboxMeta.Session live = m.live().get(r.device());
        InboxMeta.Session refreshed = new InboxMeta.Session(r.instance(), r.connection(), timestamp);
        if (live != null && !live.connection().equals(r.connection())) {
            close(user, r.device(), refreshed, Push.Close.Reason.DISPLACED, timestamp, out);
            return;
        }
        m = m.withSession(r.device(), refreshed);
        inboxes.meta.put(user, m);
        out.push(r.instance(), new Push.Head(user, m.epoch(), m.head(), r.connection()), timestamp);
    }

    void disconnect(String user, InboxOp.Disconnect d) {
        InboxMeta m = inboxes.meta.get(user);
        if (m != null) {
            InboxMeta next = m.withoutSession(d.device(), d.connection());
            if (next != m) {
                inboxes.meta.put(user, next);
            }
        }
    }

    void remove(String user, InboxOp.Remove r, long timestamp, Outputs out) {
        InboxMeta m = inboxes.meta.get(user);
        if (m == null) {
            return;
        }
        InboxMeta.Session live = m.live().get(r.device());
        if (live != null) {
            close(user, r.device(), live, Push.Close.Reason.REMOVED, timestamp, out);
        }
        InboxMeta next = m.withoutSession(r.device(), null).remove(r.device());
        if (next != m) {
            inboxes.meta.put(user, next);
        }
    }

    private static void close(String user, String device, InboxMeta.Session session, Push.Close.Reason reason,
                              long timestamp, Outputs out) {
        out.push(session.instance(), new Push.Close(user, device, session.connection(), reason), timestamp);
    }
}
