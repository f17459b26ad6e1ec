package dev.pigeonhole.standalone.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Store then drain (S1): offline recipients that never connected get {@code perRecipient} messages each from
 * {@code senders} senders over {@code /v1/send}; when every inbox holds them all (polled with {@code GET
 * /v1/devices}, which registers nothing), every recipient connects its first device at once and drains. Per stack
 * (child JVM, as {@link EndToEndBench}), the median of {@code repeats} repetitions with fresh users; the same shape
 * on plain Kafka (the stack's broker) and, with {@code -Dbench.mosquitto=true}, on mosquitto (MQTT QoS 1
 * persistent sessions).
 *
 * <p>Run: {@code ./mvnw -B -Ps1-bench -pl standalone -am verify -DskipTests [-Dbench.recipients=1000
 * -Dbench.perRecipient=100 -Dbench.senders=100 -Dbench.repeats=3 -Dbench.mosquitto=true]}
 */
public final class StoreThenDrainBench {
    static final S1Plan PLAN = new S1Plan(Bench.intProp("bench.recipients", 1000), Bench.intProp("bench.perRecipient", 100),
            Bench.intProp("bench.senders", 100), Bench.intProp("bench.inflight", 200));
    static final int REPEATS = Bench.intProp("bench.repeats", 3);
    /** Unreported repetitions first: a fresh stack spends its first minutes compiling (JIT) on the same two cores. */
    static final int WARMUP_REPEATS = Bench.intProp("bench.warmupRepeats", 1);
    static final int BODY_BYTES = Bench.intProp("bench.bodyBytes", 256);
    static final long TIMEOUT = TimeUnit.SECONDS.toNanos(Bench.intProp("bench.timeout", 600));
    static final int WINDOW = 1024;
    static final int POLL_CONCURRENCY = 8;
    static final int PROBES = 4;

    private StoreThenDrainBench() {}

    public static void main(String[] args) throws Exception {
        Map<String, Path> stacks = Bench.stacks();
        System.out.printf("%n# Pigeonhole store then drain (S1), %s%n%n%s%n", Bench.date(), Bench.machineLine());
        System.out.println("command: " + Bench.command("s1-bench"));
        System.out.println("stacks: " + stacks + "; each stack JVM: " + StackProcess.options());
        System.out.printf("%s, %d-byte bodies, median of %d repetitions%n%n", PLAN, BODY_BYTES, REPEATS);
        List<String> rows = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        boolean first = true;
        for (Map.Entry<String, Path> s : stacks.entrySet()) {
            try (StackProcess stack = StackProcess.start(s.getKey(), s.getValue(), "s1-bench-stack")) {
                System.out.printf("stack %s: pid %d, %s%n", stack.name, stack.pid(), s.getValue());
                Thread.sleep(3000);
                for (int rep = 0; rep < WARMUP_REPEATS; rep++) {
                    stack.awaitQuiet();
                    System.out.printf("stack %s: warm-up repetition %d (not reported)%n", stack.name, rep + 1);
                    pigeonhole(stack, REPEATS + rep);
                }
                List<S1Plan.Rep> reps = new ArrayList<>();
                for (int rep = 0; rep < REPEATS; rep++) {
                    String quiet = stack.awaitQuiet();
                    reps.add(note(notes, stack.name + " #" + rep + " (" + quiet + ")", pigeonhole(stack, rep)));
                }
                rows.add(S1Plan.row(stack.name, reps, false));
                if (!Bench.boolProp("bench.skipKafka", false) && (first || Bench.boolProp("bench.kafkaEveryStack", false))) {
                    List<S1Plan.Rep> kafka = new ArrayList<>();
                    for (int rep = 0; rep < REPEATS; rep++) {
                        String quiet = stack.awaitQuiet();
                        kafka.add(note(notes, "plain Kafka #" + rep + " (" + quiet + ")", KafkaStoreThenDrain.run(stack, rep)));
                    }
                    rows.add(S1Plan.row("plain Kafka (broker of " + stack.name + ")", kafka, true));
                }
                notes.add("stack " + stack.name + ": " + stack.logSummary());
            }
            first = false;
        }
        if (Bench.boolProp("bench.mosquitto", false)) {
            String bin = MosquittoStoreThenDrain.binary();
            if (bin == null) {
                notes.add("mosquitto: no mosquitto binary found (apt-get install mosquitto); skipped");
            } else {
                rows.add(MosquittoStoreThenDrain.run(bin, notes));
            }
        }
        System.out.printf("%n## Store then drain, S1 (%s)%n%n%s%ncommand: %s%n%s%n%n", Bench.date(), Bench.machineLine(),
                Bench.command("s1-bench"), PLAN + ", " + BODY_BYTES + "-byte bodies, median of " + REPEATS);
        System.out.println(S1Plan.HEADER);
        rows.forEach(System.out::println);
        System.out.println();
        System.out.println("stored = first send → last accepted (ack); inboxes hold all = last accepted → every inbox"
                + " head complete (Pigeonhole: GET /v1/devices polled every 50 ms; Kafka and mosquitto have stored a"
                + " message when they ack it); drain = first connect → every recipient has all its messages; round trip"
                + " = first send → last message received; server CPU = the server process's CPU over the repetition"
                + " (plain Kafka: the stack JVM, whose broker it is) / messages.");
        notes.forEach(n -> System.out.println("- " + n));
    }

    private static S1Plan.Rep note(List<String> notes, String what, S1Plan.Rep rep) {
        System.out.println("  " + what + ": " + rep.detail());
        notes.add(what + ": " + rep.detail());
        return rep;
    }

    private static S1Plan.Rep pigeonhole(StackProcess stack, int rep) throws Exception {
        String run = Long.toString(System.currentTimeMillis() % 100_000_000L, 36) + "r" + rep;
        HttpClient http = Bench.HTTP;
        ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
        Ledger ledger = new Ledger(PLAN.senders, PLAN.recipients, new int[0][]);
        AtomicLong lastAccepted = new AtomicLong();
        AtomicLongArray acceptedAt = new AtomicLongArray(PLAN.recipients); // per recipient, its last accepted message
        Map<String, Integer> refusals = new ConcurrentHashMap<>();
        List<WireSocket> senders = new ArrayList<>();
        for (int s = 0; s < PLAN.senders; s++) {
            senders.add(WireSocket.open(http, stack.ws() + "/v1/send?user=s-" + run + "-" + s + "&device=d", (f, now) -> {
                if ("accepted".equals(f.type)) {
                    int dash = f.id.indexOf('-');
                    int sender = Integer.parseInt(f.id, 0, dash, 10);
                    long n = Long.parseLong(f.id, dash + 1, f.id.length(), 10);
                    ledger.accepted(sender, n);
                    lastAccepted.accumulateAndGet(now, Math::max);
                    acceptedAt.accumulateAndGet(ledger.target(sender, n), now, Math::max);
                } else if ("rejected".equals(f.type) || "error".equals(f.type)) {
                    if (f.id != null) {
                        ledger.rejected(f.id);
                    }
                    refusals.merge(f.type + " " + f.code, 1, Integer::sum);
                }
            }).get(30, TimeUnit.SECONDS));
        }
        String pad = "x".repeat(Math.max(0, BODY_BYTES - "{\"p\":\"\"}".length()));
        Cpu.Snapshot cpu0 = Cpu.Snapshot.take(stack.pid());
        long firstSend = System.nanoTime();
        PLAN.sendAll(ledger, (s, n, r, t) -> senders.get(s).send("{\"type\":\"send\",\"id\":\"" + Ledger.id(s, n)
                + "\",\"to\":\"" + recipient(run, r) + "\",\"body\":{\"p\":\"" + pad + "\"}}"));
        if (!S1Plan.awaitAnswers(ledger, PLAN.total, TIMEOUT)) {
            throw new IllegalStateException("not every send was answered: " + ledger.answered.get() + " of " + PLAN.total);
        }
        long inboxesFull = awaitHeads(http, stack, run, acceptedAt);
        S1Plan.Drain drain = PLAN.new Drain();
        InboxClient.Counts counts = new InboxClient.Counts();
        long drainStart = System.nanoTime();
        List<CompletableFuture<InboxClient>> inboxes = new ArrayList<>();
        for (int r = 0; r < PLAN.recipients; r++) {
            int rr = r;
            inboxes.add(InboxClient.open(http, stack.ws(), recipient(run, r), "d", WINDOW, timers, counts, (f, now) -> {
                if ("message".equals(f.type)) {
                    int dash = f.id.indexOf('-');
                    drain.received(ledger, rr, Integer.parseInt(f.id, 0, dash, 10), Long.parseLong(f.id, dash + 1,
                            f.id.length(), 10), now);
                }
            }));
        }
        CompletableFuture.allOf(inboxes.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS); // all connected
        if (!drain.await(TIMEOUT)) {
            throw new IllegalStateException(drain.incomplete() + " recipients did not get all their messages");
        }
        Cpu.Snapshot cpu1 = Cpu.Snapshot.take(stack.pid());
        Thread.sleep(500); // duplicates would come now
        Ledger.Verdict verdict = ledger.verdict();
        senders.forEach(WireSocket::close);
        for (CompletableFuture<InboxClient> c : inboxes) {
            c.get(10, TimeUnit.SECONDS).close();
        }
        Thread.sleep(300);
        timers.shutdownNow();
        stack.checkAlive();
        return new S1Plan.Rep(firstSend, lastAccepted.get(), inboxesFull, drainStart, drain.lastAt.get(),
                cpu1.since(cpu0).serverMicros(), PLAN.total, verdict, counts.summary() + (refusals.isEmpty() ? ""
                : "; refused: " + refusals) + "; " + cpu1.since(cpu0).summary());
    }

    static String recipient(String run, int r) {
        return "r-" + run + "-" + r;
    }

    /**
     * Waits until every recipient's inbox head is complete, politely: {@code GET /v1/devices?user=<r>&device=probe}
     * (answers the head, registers nothing) for the {@link #PROBES} incomplete recipients whose last message was
     * accepted last, every 50 ms; once those are complete, one sweep over all incomplete ones (at most
     * {@link #POLL_CONCURRENCY} requests at a time), and so on. Returns when the last one was seen complete.
     */
    private static long awaitHeads(HttpClient http, StackProcess stack, String run, AtomicLongArray acceptedAt)
            throws Exception {
        List<Integer> pending = new ArrayList<>();
        for (int r = 0; r < PLAN.recipients; r++) {
            pending.add(r);
        }
        pending.sort(Comparator.comparingLong(acceptedAt::get).reversed());
        long deadline = System.nanoTime() + TIMEOUT;
        int requests = 0;
        while (true) {
            List<Integer> probes = pending.subList(0, Math.min(PROBES, pending.size()));
            boolean probesFull = incomplete(http, stack, run, probes).isEmpty();
            requests += probes.size();
            if (probesFull) {
                requests += pending.size();
                pending = incomplete(http, stack, run, pending);
                if (pending.isEmpty()) {
                    long fullAt = System.nanoTime();
                    System.out.printf("  inboxes complete after %d GET /v1/devices requests%n", requests);
                    return fullAt;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(pending.size() + " inboxes incomplete after the timeout");
            }
            stack.checkAlive();
            Thread.sleep(50);
        }
    }

    /** The recipients among {@code users} whose inbox head is below perRecipient, in the same order. */
    private static List<Integer> incomplete(HttpClient http, StackProcess stack, String run, List<Integer> users)
            throws Exception {
        Semaphore slots = new Semaphore(POLL_CONCURRENCY);
        List<CompletableFuture<Long>> heads = new ArrayList<>();
        for (int r : users) {
            slots.acquire();
            heads.add(http.sendAsync(HttpRequest.newBuilder(URI.create(stack.http() + "/v1/devices?user="
                            + recipient(run, r) + "&device=probe")).timeout(java.time.Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString()).handle((resp, e) -> {
                        slots.release();
                        return e == null && resp.statusCode() == 200 ? WireFrame.parse(resp.body()).head : -1L;
                    }));
        }
        List<Integer> still = new ArrayList<>();
        for (int i = 0; i < users.size(); i++) {
            long head = heads.get(i).get();
            if (head > PLAN.perRecipient) {
                throw new IllegalStateException(recipient(run, users.get(i)) + "'s head is " + head + ", more than sent");
            } else if (head < PLAN.perRecipient) {
                still.add(users.get(i));
            }
        }
        return still;
    }
}
