package dev.pigeonhole.load.scenario;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pigeonhole.load.Auth;
import dev.pigeonhole.load.Ledger;
import dev.pigeonhole.load.Target;
import dev.pigeonhole.load.client.Backoff;
import dev.pigeonhole.load.client.Frame;
import dev.pigeonhole.load.client.InboxClient;
import dev.pigeonhole.load.client.SendClient;
import dev.pigeonhole.load.client.Wire;
import dev.pigeonhole.load.report.LatencyRecorder;
import dev.pigeonhole.protocol.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The clients of one run and their bookkeeping: senders ({@code /v1/send}), recipients ({@code /v1/inbox}), optional
 * groups, the {@link Ledger}, and the accepted/delivered latency recorders. User names carry a run id, so runs never
 * share an inbox. With {@code sameUsers} sender i and recipient i are one user (own copies and receipts flow as with
 * the SDK); otherwise they are distinct users.
 */
final class Traffic implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    final Target target;
    final Wire wire;
    final String run;
    final boolean sameUsers;
    final Ledger ledger;
    final LatencyRecorder accepted;
    final LatencyRecorder delivered;
    final List<SendClient> senders = new ArrayList<>();
    final List<InboxClient> inboxes = new ArrayList<>();
    final LongAdder reconnects = new LongAdder();
    /** Upgrades the server refused with 503 + Retry-After (it sheds a storm). */
    final LongAdder shed = new LongAdder();
    /** Connection attempts that failed before the WebSocket opened, by exception class and message. */
    final Map<String, LongAdder> connectFailures = new ConcurrentHashMap<>();
    final LongAdder drops = new LongAdder();
    final Map<String, LongAdder> refusals = new ConcurrentHashMap<>();
    final Map<Integer, LongAdder> closeCodes = new ConcurrentHashMap<>();
    private final int[][] groups;
    private final int window;
    private final long backoffMinMs;
    private final long backoffMaxMs;
    private final InboxClient.Listener extra;

    Traffic(Target target, String run, int senderCount, int recipientCount, boolean sameUsers, int[][] groups, int window,
            long backoffMinMs, long backoffMaxMs, long startNanos, InboxClient.Listener extra) {
        this.target = target;
        this.wire = Wire.forTarget(target);
        this.run = run;
        this.sameUsers = sameUsers;
        this.groups = groups;
        this.window = window;
        this.backoffMinMs = backoffMinMs;
        this.backoffMaxMs = backoffMaxMs;
        this.extra = extra;
        this.ledger = new Ledger(senderCount, recipientCount, groups);
        this.accepted = new LatencyRecorder("intended send → accepted", startNanos);
        this.delivered = new LatencyRecorder("intended send → delivered", startNanos);
        for (int s = 0; s < senderCount; s++) {
            int sender = s;
            senders.add(new SendClient(wire, target.gateway(), senderUser(s), "load", target.auth(),
                    new Backoff(backoffMinMs, backoffMaxMs, s), new SendClient.Listener() {
                        @Override
                        public void onAccepted(String id, long arrivedNanos) {
                            long[] sn = Ledger.parse(id);
                            long t = sn == null ? -1 : ledger.accepted(sender, sn[1]);
                            if (t >= 0) {
                                accepted.record(t, arrivedNanos);
                            }
                        }

                        @Override
                        public void onRefused(String id, String code) {
                            refusals.computeIfAbsent(String.valueOf(code), k -> new LongAdder()).increment();
                            long[] sn = Ledger.parse(id);
                            if (sn != null) {
                                ledger.refused(sender, sn[1]);
                            }
                        }
                    }));
        }
        for (int r = 0; r < recipientCount; r++) {
            inboxes.add(newInbox(r));
        }
    }

    static String newRunId() {
        return Long.toString(System.currentTimeMillis() % 100_000_000_000L, 36);
    }

    String senderUser(int s) {
        return (sameUsers ? "u-" : "s-") + run + "-" + s;
    }

    String recipientUser(int r) {
        return (sameUsers ? "u-" : "r-") + run + "-" + r;
    }

    String groupId(int g) {
        return "g-" + run + "-" + g;
    }

    private InboxClient newInbox(int r) {
        InboxClient.Listener listener = new InboxClient.Listener() {
            @Override
            public void onMessage(InboxClient client, Frame f, long arrivedNanos) {
                if (!f.own) {
                    long[] sn = Ledger.parse(f.id);
                    if (sn != null && sn[0] < senders.size() && senderUser((int) sn[0]).equals(f.from)
                            && ledger.received(r, (int) sn[0], sn[1]) && f.t > 0) {
                        delivered.record(f.t, arrivedNanos);
                    }
                }
                extra.onMessage(client, f, arrivedNanos);
            }

            @Override
            public void onCaughtUp(InboxClient client, long sinceConnectNanos) {
                if (client.connects() > 1) {
                    reconnects.increment();
                }
                extra.onCaughtUp(client, sinceConnectNanos);
            }

            @Override
            public void onShed(InboxClient client, long retryAfterMs) {
                shed.increment();
            }

            @Override
            public void onConnectFailed(InboxClient client, Throwable cause) {
                String why = cause.getClass().getSimpleName() + ": " + String.valueOf(cause.getMessage())
                        .replaceAll("[0-9.:]+", "#");
                connectFailures.computeIfAbsent(why, k -> new LongAdder()).increment();
            }

            @Override
            public void onDrop(InboxClient client, int code, String reason) {
                if (client.state() != InboxClient.State.STOPPED) {
                    drops.increment();
                    closeCodes.computeIfAbsent(code, k -> new LongAdder()).increment();
                }
                extra.onDrop(client, code, reason);
            }

            @Override
            public void onGiveUp(InboxClient client, int code, String reason) {
                extra.onGiveUp(client, code, reason);
            }
        };
        return new InboxClient(wire, target.deliveries(), r, recipientUser(r), "load", target.auth(), window,
                new Backoff(backoffMinMs, backoffMaxMs, 1_000_003L * r + 7), listener);
    }

    void startSenders() {
        senders.forEach(SendClient::start);
    }

    /** Connects inbox clients {@code from..to-1}, at most {@code perSecond} per second (0: no pacing). */
    void startInboxes(int from, int to, int perSecond) throws InterruptedException {
        long interval = perSecond > 0 ? 1_000_000_000L / perSecond : 0;
        long next = System.nanoTime();
        for (int r = from; r < to; r++) {
            if (interval > 0) {
                dev.pigeonhole.load.Pacer.sleepUntil(next);
                next += interval;
            }
            inboxes.get(r).start();
        }
    }

    /** Waits until {@code count} inbox clients are live; false on timeout. */
    boolean awaitLive(int count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (live() < count) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(50);
        }
        return true;
    }

    /** Inbox clients connected and past {@code caught_up} now. */
    int live() {
        int n = 0;
        for (InboxClient c : inboxes) {
            n += c.live() ? 1 : 0;
        }
        return n;
    }

    /** Sends message {@code n} of sender {@code s} (already in the ledger) to recipient or group {@code to}. */
    void send(int s, int to, long intendedNanos, int bodyBytes) {
        long n = ledger.sent(s, to, intendedNanos);
        String recipient = to >= 0 ? recipientUser(to) : "group:" + groupId(-1 - to);
        senders.get(s).send(Ledger.id(s, n), recipient, body(intendedNanos, bodyBytes));
    }

    /** A JSON body of about {@code bytes} bytes carrying the intended send time. */
    static String body(long intendedNanos, int bytes) {
        String head = "{\"t\":" + intendedNanos + ",\"pad\":\"";
        return head + "x".repeat(Math.max(0, bytes - head.length() - 2)) + "\"}";
    }

    /** Waits until every send is answered and every accepted message read; false on timeout. */
    boolean awaitComplete(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!ledger.complete()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }

    /**
     * Creates the groups over HTTP as their first member (the owner), then has every invited member accept: works
     * whether the server runs {@code group-consent=invite} (the default) or {@code open}.
     */
    void createGroups() throws IOException, InterruptedException {
        URI http = target.gatewayHttp();
        for (int g = 0; g < groups.length; g++) {
            StringBuilder members = new StringBuilder();
            for (int i = 1; i < groups[g].length; i++) {
                members.append(i > 1 ? "," : "").append('"').append(recipientUser(groups[g][i])).append('"');
            }
            JsonNode group = http(http, recipientUser(groups[g][0]), "POST", "/v1/groups",
                    "{\"id\":\"" + groupId(g) + "\",\"members\":[" + members + "]}", 201);
            for (JsonNode m : group.path("members")) {
                if ("invited".equals(m.path("status").asText())) {
                    http(http, m.path("user").asText(), "POST", "/v1/groups/" + groupId(g) + "/accept", null, 200);
                }
            }
        }
    }

    private JsonNode http(URI base, String user, String method, String path, String body, int expect)
            throws IOException, InterruptedException {
        Auth.Credentials c = target.auth().credentials(user, "load");
        String query = c.query().isEmpty() ? "" : "?" + c.query();
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path + query)).timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json");
        if (c.bearer() != null) {
            b.header("Authorization", "Bearer " + c.bearer());
        }
        for (int attempt = 0; ; attempt++) {
            HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == expect) {
                return Json.read(r.body(), JsonNode.class);
            } else if (r.statusCode() != 503 || attempt == 40) {
                throw new IllegalStateException(method + " " + path + " as " + user + ": " + r.statusCode() + " " + r.body());
            }
            Thread.sleep(250);
        }
    }

    /** Groups of {@code size} consecutive users; member indexes per group. */
    static int[][] consecutiveGroups(int users, int size) {
        if (size < 2) {
            return new int[0][];
        }
        int[][] g = new int[(users + size - 1) / size][];
        for (int i = 0; i < g.length; i++) {
            g[i] = java.util.stream.IntStream.range(i * size, Math.min(users, (i + 1) * size)).toArray();
        }
        return g;
    }

    long inboxCounter(java.util.function.ToLongFunction<InboxClient> f) {
        return inboxes.stream().mapToLong(f).sum();
    }

    /** Counters that say whether the streams kept their contract (all should be 0). */
    String streamAnomalies() {
        return String.format("stream anomalies: %d entries repeated across connections, %d seq jumps without a gap,"
                + " %d error frames", inboxCounter(InboxClient::seqRepeats), inboxCounter(InboxClient::seqJumps),
                inboxCounter(InboxClient::errors));
    }

    Map<String, Long> connectFailureCounts() {
        Map<String, Long> m = new java.util.TreeMap<>();
        connectFailures.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }

    Map<String, Long> refusalCounts() {
        Map<String, Long> m = new java.util.TreeMap<>();
        refusals.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }

    Map<Integer, Long> closeCodeCounts() {
        Map<Integer, Long> m = new java.util.TreeMap<>();
        closeCodes.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }

    @Override
    public void close() {
        senders.forEach(SendClient::close);
        inboxes.forEach(InboxClient::disconnect);
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        wire.close();
    }
}
