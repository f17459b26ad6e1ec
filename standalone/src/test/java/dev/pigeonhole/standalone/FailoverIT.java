package dev.pigeonhole.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pigeonhole.protocol.Json;
import dev.pigeonhole.protocol.ServerFrame;
import dev.pigeonhole.records.InboxPage;
import dev.pigeonhole.records.Topics;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Failover and rebalancing under traffic, on one broker: three router instances (one standby replica of every
 * store) and three delivery instances. While senders send at a steady pace, one router is killed (SIGKILL) —
 * its inboxes fail over to the survivors — then a fourth delivery instance is started and one of the original
 * ones is stopped (SIGTERM) while clients are connected to it.
 *
 * <p>Every inbox client reconnects whenever its socket closes — to another instance when its own went away, as a
 * load balancer would send it — and resumes from its cursor: half of them from the last seq they processed
 * ({@code after=}), half from their durable acked cursor on the server (no {@code after}). Each client checks every
 * frame as it arrives: a {@code backlog} first, entries consecutive within a connection and starting where asked,
 * the inbox epoch unchanged, no {@code gap}, {@code error} or 41xx close. A client resuming from its own position
 * never sees an entry twice; one resuming from the server's cursor may see again entries whose acks were not applied
 * yet, identical ones only.
 *
 * <p>At the end: every send was accepted once; each recipient has every message once, its inbox seqs are 1..N
 * without gaps, the server's head is N, and each sender's messages are in send order; each sender's own inbox holds
 * a copy of each of its sends in send order and exactly one {@code delivered} receipt per message, gapless; every
 * device's durable cursor reached the last entry it acked.
 */
class FailoverIT {
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final int RECIPIENTS = 12;
    private static final int SENDERS = 4;
    /** Pause between two rounds; a round is one message from every sender to every recipient. */
    private static final long ROUND_PAUSE_MS = 500;
    /** Rounds sent after the delivery instance stopped, before the senders stop. */
    private static final int ROUNDS_AFTER_STOP = 6;
    private static final int MAX_ROUNDS = 400;
    private static final String ROUTER_PREFIX = "failover-router-";
    private static final List<String> DELIVERY_NAMES =
            List.of("failover-delivery-a", "failover-delivery-b", "failover-delivery-c", "failover-delivery-d");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @Test
    void killingARouterAndReplacingADeliveryInstanceMidTrafficLosesAndDuplicatesNothing() throws Exception {
        assertThat(DELIVERY_NAMES.stream().map(n -> Topics.pushPartition(n, Cluster.PUSH_PARTITIONS)).distinct().count())
                .as("the delivery instances read different push partitions").isEqualTo(DELIVERY_NAMES.size());
        long t0 = System.nanoTime();
        List<String> recipients = IntStream.range(0, RECIPIENTS).mapToObj(i -> "fo-r" + i).toList();
        List<String> senderUsers = IntStream.range(0, SENDERS).mapToObj(i -> "fo-s" + i).toList();
        List<String> users = new ArrayList<>(recipients);
        users.addAll(senderUsers);
        ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "failover-it-reconnects");
            t.setDaemon(true);
            return t;
        });
        List<Reader> readers = new ArrayList<>();
        List<TestSender> senders = new ArrayList<>();
        Traffic traffic = null;
        Thread monitor = null;
        try (Cluster cluster = Cluster.start("failover-it")) {
            Map<String, String> standby = Map.of("pigeonhole.router.standby-replicas", "1");
            List<ServiceProcess> routers = IntStream.rangeClosed(1, 3)
                    .mapToObj(i -> cluster.router(ROUTER_PREFIX + i, standby)).toList();
            ServiceProcess gateway = cluster.gateway("failover-gateway");
            Cluster.startAll(routers.get(0), routers.get(1), routers.get(2), gateway);

            // The router to kill owns the most inboxes once the group has settled; delivery reads through the others
            // (in production a Service in front of the routers would stop sending requests to a dead one).
            Map<String, ServiceProcess> owners = settledOwners(routers, users);
            ServiceProcess victim = routers.stream()
                    .max((x, y) -> Long.compare(owned(owners, x, recipients), owned(owners, y, recipients))).orElseThrow();
            List<ServiceProcess> survivors = routers.stream().filter(r -> r != victim).toList();
            log(t0, "inbox owners " + describe(owners) + "; will kill " + victim);

            ServiceProcess deliveryA = cluster.delivery(DELIVERY_NAMES.get(0), survivors.get(0));
            ServiceProcess deliveryB = cluster.delivery(DELIVERY_NAMES.get(1), survivors.get(1));
            ServiceProcess deliveryC = cluster.delivery(DELIVERY_NAMES.get(2), survivors.get(0));
            Cluster.startAll(deliveryA, deliveryB, deliveryC);
            List<ServiceProcess> originalDeliveries = List.of(deliveryA, deliveryB, deliveryC);
            Balancer balancer = new Balancer(originalDeliveries);
            log(t0, "cluster up");

            for (int i = 0; i < users.size(); i++) {
                boolean recipient = i < RECIPIENTS;
                Reader reader = new Reader(users.get(i), recipient ? "phone" : "tablet", i % 2 == 0, balancer, timers);
                readers.add(reader);
                reader.connect(originalDeliveries.get(i % originalDeliveries.size()));
            }
            for (Reader reader : readers) {
                awaitTrue(reader::firstCaughtUp, WAIT, () -> reader + " did not get caught_up on its first connection");
            }
            for (int s = 0; s < SENDERS; s++) {
                senders.add(new TestSender(gateway.ws(""), senderUsers.get(s), "phone"));
            }
            traffic = new Traffic(senders, recipients);
            traffic.start();
            Traffic sending = traffic;
            // Progress every few seconds (diagnostics only): the clients behind their inbox's head, and the live
            // pushes each delivery instance has read.
            List<ServiceProcess> allDeliveries = new CopyOnWriteArrayList<>(originalDeliveries);
            monitor = new Thread(() -> progress(t0, sending, allDeliveries, readers, survivors.get(0)), "failover-it-progress");
            monitor.setDaemon(true);
            monitor.start();
            awaitTrue(() -> sending.rounds() >= 5, WAIT, () -> "the senders did not get going: " + sending);

            // 1. A router dies without a word, mid-traffic.
            Map<String, ServiceProcess> before = owners(routers, users);
            assertThat(owned(before, victim, recipients)).as(victim + " owns recipients' inboxes when it is killed").isPositive();
            int roundsAtKill = traffic.rounds();
            long killedAt = System.nanoTime();
            victim.kill();
            log(t0, "killed " + victim + " (it owned " + owned(before, victim, users) + " of the " + users.size()
                    + " inboxes) after round " + roundsAtKill);
            for (String user : users) {
                survivors.get(0).awaitStored(user, 0, WAIT); // readable again: owned by a survivor
            }
            log(t0, "every inbox readable again " + (System.nanoTime() - killedAt) / 1_000_000 + " ms after the kill; "
                    + "owners now " + describe(owners(survivors, users)));

            // 2. A delivery instance joins while clients are connected...
            ServiceProcess deliveryD = cluster.delivery(DELIVERY_NAMES.get(3), survivors.get(1));
            deliveryD.start().awaitReady(Duration.ofSeconds(120));
            balancer.add(deliveryD);
            allDeliveries.add(deliveryD);
            log(t0, "started " + deliveryD + " after round " + traffic.rounds());

            // 3. ...and the original instance with the most clients leaves (SIGTERM): its clients go elsewhere.
            ServiceProcess leaving = balancer.busiest(originalDeliveries);
            List<Reader> onLeaving = readers.stream().filter(r -> r.connectedTo() == leaving).toList();
            assertThat(onLeaving).as("clients connected to " + leaving + " when it stops").isNotEmpty();
            balancer.remove(leaving);
            int roundsAtStop = traffic.rounds();
            leaving.stop();
            log(t0, "stopped " + leaving + " after round " + roundsAtStop + "; its clients: " + onLeaving);

            awaitTrue(() -> sending.rounds() >= roundsAtStop + ROUNDS_AFTER_STOP, WAIT, () -> "traffic stalled: " + sending);
            traffic.finish();
            int rounds = traffic.rounds();
            int perRecipient = SENDERS * rounds;
            log(t0, "senders stopped after " + rounds + " rounds: " + perRecipient * RECIPIENTS + " messages");

            // Every send accepted, once.
            for (int s = 0; s < SENDERS; s++) {
                List<String> ids = traffic.sent(s);
                senders.get(s).awaitReplies(ids, 1, WAIT);
                TestSender sender = senders.get(s);
                assertThat(ids).as(senderUsers.get(s) + "'s sends").hasSize(rounds * RECIPIENTS)
                        .allMatch(id -> sender.replies(id).equals(List.of(new ServerFrame.Accepted(id))));
            }

            // Every client gets everything.
            for (Reader reader : readers) {
                int expected = reader.recipient() ? perRecipient : rounds * RECIPIENTS;
                awaitTrue(() -> {
                    assertNoViolations(readers);
                    return reader.messageCount() >= expected;
                }, WAIT, () -> reader + " got " + reader.messageCount() + " of " + expected + " messages; "
                        + reader.describe() + "; server: " + pageOrWhy(survivors.get(0), reader.user(), reader.device()));
            }
            log(t0, "every client has every message");
            ServiceProcess.sleep(1000); // late duplicates would show now
            assertNoViolations(readers);

            // Exactly once, gapless, in order.
            for (int r = 0; r < RECIPIENTS; r++) {
                Reader reader = readers.get(r);
                String user = recipients.get(r);
                TreeMap<Long, ServerFrame.Entry> entries = reader.entries();
                assertThat(entries.keySet()).as(user + "'s inbox seqs").containsExactlyElementsOf(OfflineDeliveryIT.range(1, perRecipient));
                List<ServerFrame.Message> messages = entries.values().stream()
                        .map(e -> (ServerFrame.Message) e).toList();
                assertThat(messages).as(user + "'s entries are messages to it").allMatch(m -> m.to().equals(user) && !m.own());
                for (int s = 0; s < SENDERS; s++) {
                    int sender = s;
                    assertThat(messages.stream().filter(m -> m.from().equals(senderUsers.get(sender))).map(ServerFrame.Message::id))
                            .as(user + " from " + senderUsers.get(s))
                            .containsExactlyElementsOf(IntStream.range(0, rounds).mapToObj(i -> id(sender, user, i)).toList());
                }
                assertThat(page(survivors.get(0), user, null).head()).as(user + "'s inbox head on the server").isEqualTo(perRecipient);
            }
            // The clients of the instance that left moved to others; the new instance served clients and read its
            // own push partition only.
            for (Reader reader : onLeaving) {
                assertThat(reader.instancesAfter(leaving)).as(reader + " after " + leaving + " stopped").isNotEmpty()
                        .doesNotContain(leaving);
            }
            assertThat(readers.stream().filter(r -> r.instances().contains(deliveryD)).count())
                    .as("clients served by " + deliveryD).isPositive();
            assertThat(deliveryD.metric("pigeonhole_delivery_push_records_total{addressed=\"this-instance\"}"))
                    .as(deliveryD + " got live pushes").isPositive();
            for (ServiceProcess delivery : balancer.live()) {
                assertThat(delivery.metric("pigeonhole_delivery_push_records_total{addressed=\"other-instance\"}"))
                        .as(delivery + " read no push record meant for another instance").isZero();
            }

            // Acks are durable: each device's cursor on the server reaches the last entry it acked.
            for (Reader reader : readers) {
                awaitTrue(() -> page(survivors.get(0), reader.user(), reader.device()).after() == reader.lastSeq(), WAIT,
                        () -> reader + "'s durable cursor did not reach its last acked entry " + reader.lastSeq() + ": "
                                + pageOrWhy(survivors.get(0), reader.user(), reader.device()));
            }
            log(t0, "every device's durable cursor is at its last entry");

            // The senders' own inboxes: a copy of each send, in send order, and for each message exactly one
            // 'delivered' receipt (its recipient has one device), all entries gapless.
            int deliveredReceipts = 0;
            for (int s = 0; s < SENDERS; s++) {
                Reader reader = readers.get(RECIPIENTS + s);
                String user = senderUsers.get(s);
                List<String> sent = traffic.sent(s);
                awaitTrue(() -> {
                    assertNoViolations(readers);
                    return deliveredReceipts(reader).keySet().containsAll(sent);
                }, WAIT, () -> user + " did not get a 'delivered' receipt for each of its " + sent.size() + " messages: "
                        + deliveredReceipts(reader).size() + "; " + reader.describe());
                TreeMap<Long, ServerFrame.Entry> entries = reader.entries();
                assertThat(entries.keySet()).as(user + "'s inbox seqs (own messages and receipts)")
                        .containsExactlyElementsOf(OfflineDeliveryIT.range(1, entries.lastKey()));
                List<ServerFrame.Message> own = entries.values().stream().filter(e -> e instanceof ServerFrame.Message)
                        .map(e -> (ServerFrame.Message) e).toList();
                assertThat(own).as(user + "'s messages are copies of its own sends").allMatch(m -> m.own() && m.from().equals(user));
                assertThat(own).extracting(ServerFrame.Message::id).as(user + "'s own copies, in send order")
                        .containsExactlyElementsOf(sent);
                Map<String, Integer> receipts = deliveredReceipts(reader);
                assertThat(receipts.keySet()).as(user + "'s 'delivered' receipts").containsExactlyInAnyOrderElementsOf(sent);
                assertThat(receipts.entrySet().stream().filter(e -> e.getValue() != 1).map(Map.Entry::getKey).toList())
                        .as(user + "'s messages with more than one 'delivered' receipt").isEmpty();
                deliveredReceipts += receipts.size();
            }
            assertNoViolations(readers);

            monitor.interrupt();
            int redelivered = readers.stream().mapToInt(Reader::redelivered).sum();
            log(t0, "done: " + perRecipient * RECIPIENTS + " messages to " + RECIPIENTS + " recipients, "
                    + perRecipient * RECIPIENTS + " own copies, " + deliveredReceipts + " delivered receipts; "
                    + readers.stream().mapToInt(Reader::connectionCount).sum() + " connections, " + redelivered
                    + " entries seen again after resuming from the server's cursor");
            for (Reader reader : readers) {
                System.out.println("  " + reader.describe());
            }
        } finally {
            if (monitor != null) {
                monitor.interrupt();
            }
            if (traffic != null) {
                traffic.finish();
            }
            readers.forEach(Reader::stop);
            senders.forEach(TestSender::close);
            timers.shutdownNow();
        }
    }

    // ----------------------------------------------------------------------------------------------------------

    private static void progress(long t0, Traffic traffic, List<ServiceProcess> deliveries, List<Reader> readers,
                                 ServiceProcess router) {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Thread.sleep(3000);
            } catch (InterruptedException e) {
                return;
            }
            StringBuilder line = new StringBuilder("progress: ").append(traffic).append("; live pushes read:");
            for (ServiceProcess d : deliveries) {
                String pushes;
                try {
                    pushes = Long.toString((long) d.metric("pigeonhole_delivery_push_records_total{addressed=\"this-instance\"}"));
                } catch (RuntimeException e) {
                    pushes = "-";
                }
                line.append(' ').append(d).append('=').append(pushes);
            }
            line.append("; behind (last seq/head, durable cursor):");
            for (Reader r : readers) {
                long last = r.lastSeq();
                try {
                    InboxPage page = page(router, r.user(), r.device());
                    if (page.head() > last) {
                        line.append(' ').append(r).append(' ').append(last).append('/').append(page.head())
                                .append(" c").append(page.after()).append(" on ").append(r.connectedTo()).append(';');
                    }
                } catch (Throwable e) {
                    line.append(' ').append(r).append(' ').append(last).append("/? on ").append(r.connectedTo()).append(';');
                }
            }
            log(t0, line.toString());
        }
    }

    /** How many 'delivered' receipts the reader got for each message id (items of receipt entries). */
    private static Map<String, Integer> deliveredReceipts(Reader reader) {
        Map<String, Integer> counts = new HashMap<>();
        reader.entries().values().stream().filter(e -> e instanceof ServerFrame.Receipt).map(e -> (ServerFrame.Receipt) e)
                .filter(r -> r.status() == ServerFrame.Receipt.Status.DELIVERED)
                .flatMap(r -> r.messages().stream())
                .forEach(item -> counts.merge(item.id(), 1, Integer::sum));
        return counts;
    }

    private static String id(int sender, String to, int round) {
        return "s" + sender + "-" + to + "-" + round;
    }

    private static void log(long t0, String what) {
        System.out.printf("[FailoverIT +%5.1fs] %s%n", (System.nanoTime() - t0) / 1e9, what);
    }

    private static void assertNoViolations(List<Reader> readers) {
        List<String> all = new ArrayList<>();
        for (Reader r : readers) {
            all.addAll(r.violations());
        }
        assertThat(all).as("protocol violations seen by the clients").isEmpty();
    }

    private static void awaitTrue(BooleanSupplier condition, Duration timeout, java.util.function.Supplier<String> what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what.get() + " (within " + timeout + ")");
            }
            ServiceProcess.sleep(50);
        }
    }

    private static long owned(Map<String, ServiceProcess> owners, ServiceProcess router, List<String> users) {
        return users.stream().filter(u -> owners.get(u) == router).count();
    }

    private static String describe(Map<String, ServiceProcess> owners) {
        return owners.entrySet().stream().collect(Collectors.groupingBy(e -> String.valueOf(e.getValue()), TreeMap::new,
                Collectors.mapping(Map.Entry::getKey, Collectors.toList()))).toString();
    }

    /** The active owner of each user's inbox (null while none answers), as the routers themselves say. */
    private static Map<String, ServiceProcess> owners(List<ServiceProcess> routers, List<String> users) {
        Map<String, ServiceProcess> owners = new LinkedHashMap<>();
        for (String user : users) {
            owners.put(user, null);
            for (ServiceProcess router : routers) {
                if (ownedLocally(router, user)) {
                    owners.put(user, router);
                    break;
                }
            }
        }
        return owners;
    }

    /** Waits until every inbox has an owner and the assignment stayed the same for a second. */
    private static Map<String, ServiceProcess> settledOwners(List<ServiceProcess> routers, List<String> users) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        Map<String, ServiceProcess> previous = Map.of();
        while (System.nanoTime() < deadline) {
            Map<String, ServiceProcess> now = owners(routers, users);
            if (!now.containsValue(null) && now.equals(previous)) {
                return now;
            }
            previous = now;
            ServiceProcess.sleep(1000);
        }
        throw new AssertionError("the routers did not settle on the inboxes' owners: " + describe(previous));
    }

    private static boolean ownedLocally(ServiceProcess router, String user) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(
                    URI.create(router.http("/internal/v1/inbox/" + user + "?local=true&limit=1")))
                            .header("X-Pigeonhole-Internal", ServiceProcess.INTERNAL_SECRET)
                            .timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The user's inbox as the router's read API serves it (first entry after the device's cursor, if a device is given). */
    private static InboxPage page(ServiceProcess router, String user, String device) {
        try {
            HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(URI.create(router.http("/internal/v1/inbox/" + user
                            + "?limit=1" + (device == null ? "" : "&device=" + device))))
                            .header("X-Pigeonhole-Internal", ServiceProcess.INTERNAL_SECRET)
                            .timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() != 200) {
                throw new AssertionError(router + " answered " + r.statusCode() + " for " + user + "'s inbox");
            }
            return InboxPage.decode(r.body());
        } catch (IOException e) {
            throw new AssertionError(router + " unreachable", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String pageOrWhy(ServiceProcess router, String user, String device) {
        try {
            return String.valueOf(page(router, user, device));
        } catch (AssertionError e) {
            return e.getMessage();
        }
    }

    // ----------------------------------------------------------------------------------------------------------

    /**
     * What a load balancer in front of the delivery instances does: new connections go to the live instance with
     * the fewest of them; an instance that is about to stop gets none.
     */
    private static final class Balancer {
        private final List<ServiceProcess> live = new ArrayList<>();
        private final Map<ServiceProcess, Integer> connections = new HashMap<>();

        Balancer(List<ServiceProcess> instances) {
            live.addAll(instances);
        }

        synchronized void add(ServiceProcess instance) {
            live.add(instance);
        }

        synchronized void remove(ServiceProcess instance) {
            live.remove(instance);
        }

        synchronized List<ServiceProcess> live() {
            return List.copyOf(live);
        }

        /** The least busy live instance, preferring one other than {@code previous}. */
        synchronized ServiceProcess pick(ServiceProcess previous) {
            ServiceProcess best = null;
            for (ServiceProcess p : live) {
                if (p == previous && live.size() > 1) {
                    continue;
                }
                if (best == null || count(p) < count(best)) {
                    best = p;
                }
            }
            return best;
        }

        synchronized ServiceProcess busiest(List<ServiceProcess> among) {
            return among.stream().filter(live::contains).max((x, y) -> Integer.compare(count(x), count(y))).orElseThrow();
        }

        synchronized void opened(ServiceProcess p) {
            connections.merge(p, 1, Integer::sum);
        }

        synchronized void closed(ServiceProcess p) {
            connections.merge(p, -1, Integer::sum);
        }

        private int count(ServiceProcess p) {
            return connections.getOrDefault(p, 0);
        }
    }

    /** The senders: every round, one message from each sender to each recipient, then a pause. */
    private static final class Traffic extends Thread {
        private final List<TestSender> senders;
        private final List<String> recipients;
        private final List<List<String>> sent = new ArrayList<>();
        private final AtomicInteger rounds = new AtomicInteger();
        private final AtomicBoolean stop = new AtomicBoolean();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();

        Traffic(List<TestSender> senders, List<String> recipients) {
            super("failover-it-traffic");
            setDaemon(true);
            this.senders = senders;
            this.recipients = recipients;
            senders.forEach(s -> sent.add(new CopyOnWriteArrayList<>()));
        }

        @Override
        public void run() {
            try {
                while (!stop.get() && rounds.get() < MAX_ROUNDS) {
                    int round = rounds.get();
                    for (int s = 0; s < senders.size(); s++) {
                        for (String to : recipients) {
                            String id = id(s, to, round);
                            senders.get(s).send(id, to, "{\"round\":" + round + ",\"sender\":" + s + "}");
                            sent.get(s).add(id);
                        }
                    }
                    rounds.incrementAndGet();
                    Thread.sleep(ROUND_PAUSE_MS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Throwable e) {
                failure.set(e);
            }
        }

        int rounds() {
            if (failure.get() != null) {
                throw new AssertionError("sending failed", failure.get());
            }
            return rounds.get();
        }

        /** Stops after the current round and waits for it. */
        void finish() throws InterruptedException {
            stop.set(true);
            join(30_000);
            if (failure.get() != null) {
                throw new AssertionError("sending failed", failure.get());
            }
        }

        /** The ids sender {@code s} sent, in order. */
        List<String> sent(int s) {
            return List.copyOf(sent.get(s));
        }

        @Override
        public String toString() {
            return rounds.get() + " rounds sent";
        }
    }

    /**
     * One device's inbox client that stays connected: when its socket closes it connects again (to the instance the
     * {@link Balancer} picks) and resumes — from its own last seq ({@code after=}) or, with {@code ownCursor} false,
     * from its acked cursor on the server (no {@code after}). It acks every entry and checks every frame; anything
     * the protocol rules out is recorded as a violation.
     */
    private static final class Reader {
        private static final HttpClient WS = HttpClient.newHttpClient();

        private final String user;
        private final String device;
        private final boolean ownCursor;
        private final Balancer balancer;
        private final ScheduledExecutorService timers;

        /** Every distinct entry, by seq. */
        private final TreeMap<Long, ServerFrame.Entry> entries = new TreeMap<>();
        private final List<String> violations = new ArrayList<>();
        private final List<Connection> connections = new ArrayList<>();
        private long last;
        private long epoch;
        private int messages;
        private int redelivered;
        private volatile boolean stopped;

        Reader(String user, String device, boolean ownCursor, Balancer balancer, ScheduledExecutorService timers) {
            this.user = user;
            this.device = device;
            this.ownCursor = ownCursor;
            this.balancer = balancer;
            this.timers = timers;
        }

        /** One socket. */
        private final class Connection {
            final int number;
            final ServiceProcess instance;
            final String query;
            final long openedAfter;
            volatile WsConnection socket;
            boolean backlog;
            boolean caughtUp;
            /** The seq of the last entry on this connection (where it started, before the first). */
            long position = -1;
            int entries;
            boolean ended;
            Integer closeCode;
            String closeReason;

            Connection(int number, ServiceProcess instance, String query, long openedAfter) {
                this.number = number;
                this.instance = instance;
                this.query = query;
                this.openedAfter = openedAfter;
            }

            @Override
            public String toString() {
                return "#" + number + "@" + instance + "[" + query + "] " + entries + " entries"
                        + (ended ? ", closed " + closeCode + " " + closeReason : ", open");
            }
        }

        void connect(ServiceProcess instance) {
            if (stopped) {
                return;
            }
            if (instance == null) {
                timers.schedule(() -> connect(balancer.pick(null)), 200, TimeUnit.MILLISECONDS);
                return;
            }
            Connection c;
            synchronized (this) {
                boolean first = connections.isEmpty();
                String query = "user=" + user + "&device=" + device
                        + (first ? "&after=0" : ownCursor ? "&after=" + last : "")
                        + (epoch != 0 ? "&epoch=" + epoch : "");
                c = new Connection(connections.size() + 1, instance, query, first ? 0 : ownCursor ? last : -1);
                connections.add(c);
                balancer.opened(instance);
            }
            WsConnection.open(WS, URI.create(instance.ws("/v1/inbox?" + c.query)), null, Duration.ofSeconds(5),
                    new WsConnection.Handler() {
                        @Override
                        public void onOpen(WsConnection socket) {
                            c.socket = socket;
                        }

                        @Override
                        public void onFrame(ServerFrame frame) {
                            Reader.this.onFrame(c, frame);
                        }

                        @Override
                        public void onUnknown(String text) {
                            violation(c, "unknown frame " + text);
                        }

                        @Override
                        public void onClose(int code, String reason) {
                            ended(c, code, reason);
                        }

                        @Override
                        public void onError(Throwable error) {
                            ended(c, -1, error.toString());
                        }
                    }).whenComplete((socket, error) -> {
                        if (error != null) {
                            ended(c, -1, "connect failed: " + error);
                        }
                    });
        }

        private synchronized void onFrame(Connection c, ServerFrame frame) {
            if (c.ended) {
                violation(c, "frame after the close: " + frame);
                return;
            }
            if (!c.backlog) {
                if (!(frame instanceof ServerFrame.Backlog b)) {
                    violation(c, "first frame is not backlog: " + frame);
                    return;
                }
                c.backlog = true;
                adoptEpoch(c, b.epoch());
                if (c.openedAfter >= 0) {
                    c.position = c.openedAfter;
                    if (b.count() > 0 && b.oldest() != c.openedAfter + 1) {
                        violation(c, "backlog " + b + " does not start after " + c.openedAfter);
                    }
                } else {
                    c.position = b.count() > 0 ? b.oldest() - 1 : b.head();
                    if (c.position > last) {
                        violation(c, "the server's cursor " + c.position + " is beyond the last entry received " + last);
                    }
                }
                return;
            }
            if (frame instanceof ServerFrame.Entry e) {
                long seq = e.seq();
                if (seq != c.position + 1) {
                    violation(c, "entry " + seq + " after " + c.position);
                }
                c.position = seq;
                c.entries++;
                ServerFrame.Entry seen = entries.get(seq);
                if (seen == null) {
                    entries.put(seq, e);
                    if (e instanceof ServerFrame.Message) {
                        messages++;
                    }
                } else if (ownCursor) {
                    violation(c, "entry " + seq + " delivered again: " + e);
                } else if (!seen.equals(e)) {
                    violation(c, "entry " + seq + " delivered again with other content: " + e + " was " + seen);
                } else {
                    redelivered++;
                }
                last = Math.max(last, seq);
                WsConnection socket = c.socket;
                if (socket != null) {
                    socket.send("{\"type\":\"ack\",\"seq\":" + seq + "}");
                }
            } else if (frame instanceof ServerFrame.CaughtUp cu) {
                adoptEpoch(c, cu.epoch());
                if (c.caughtUp) {
                    violation(c, "second caught_up " + cu);
                }
                c.caughtUp = true;
            } else {
                violation(c, "unexpected frame " + frame);
            }
        }

        private void adoptEpoch(Connection c, long seen) {
            if (seen == 0) {
                return;
            }
            if (epoch != 0 && epoch != seen) {
                violation(c, "inbox epoch changed from " + epoch + " to " + seen);
            }
            epoch = seen;
        }

        private void ended(Connection c, int code, String reason) {
            synchronized (this) {
                if (c.ended) {
                    return;
                }
                c.ended = true;
                c.closeCode = code;
                c.closeReason = reason;
                balancer.closed(c.instance);
                if (code >= 4100 && code < 4200 && !stopped) {
                    violation(c, "refused with " + code + " " + reason);
                }
            }
            if (!stopped) {
                timers.schedule(() -> connect(balancer.pick(c.instance)), 200, TimeUnit.MILLISECONDS);
            }
        }

        private synchronized void violation(Connection c, String what) {
            violations.add(user + "/" + device + " connection #" + c.number + "@" + c.instance + ": " + what);
        }

        synchronized boolean firstCaughtUp() {
            return !connections.isEmpty() && connections.get(0).caughtUp;
        }

        synchronized List<String> violations() {
            return List.copyOf(violations);
        }

        synchronized long lastSeq() {
            return last;
        }

        synchronized int messageCount() {
            return messages;
        }

        synchronized int redelivered() {
            return redelivered;
        }

        synchronized int connectionCount() {
            return connections.size();
        }

        synchronized TreeMap<Long, ServerFrame.Entry> entries() {
            return new TreeMap<>(entries);
        }

        synchronized ServiceProcess connectedTo() {
            Connection c = connections.get(connections.size() - 1);
            return c.ended ? null : c.instance;
        }

        synchronized List<ServiceProcess> instances() {
            return connections.stream().map(c -> c.instance).toList();
        }

        /** The instances of the connections opened after the last one to {@code instance}. */
        synchronized List<ServiceProcess> instancesAfter(ServiceProcess instance) {
            List<ServiceProcess> all = instances();
            return all.subList(all.lastIndexOf(instance) + 1, all.size());
        }

        boolean recipient() {
            return device.equals("phone");
        }

        String user() {
            return user;
        }

        String device() {
            return device;
        }

        synchronized String describe() {
            return this + (ownCursor ? " (resumes after its last seq)" : " (resumes from the server's cursor)")
                    + ": " + entries.size() + " entries, " + messages + " messages, last " + last + ", "
                    + redelivered + " seen again; connections " + connections;
        }

        void stop() {
            stopped = true;
            List<Connection> all;
            synchronized (this) {
                all = List.copyOf(connections);
            }
            for (Connection c : all) {
                WsConnection socket = c.socket;
                if (socket != null && !c.ended) {
                    socket.close();
                }
            }
        }

        @Override
        public String toString() {
            return user + "/" + device;
        }
    }
}
