package dev.pigeonhole.standalone.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Recorder;

/**
 * End to end through one or more standalone stacks (each a child JVM: embedded broker + router + gateway +
 * delivery), one after the other, next to a plain Kafka producer → consumer on a stack's broker as the ceiling.
 *
 * <p>P users, each with a {@code /v1/send} socket and an {@code /v1/inbox} socket (window 128, acking like the SDK),
 * so own copies and receipts flow as with real clients. User i sends to user (i+1)%P, a share of its sends to its
 * group instead (groups of consecutive users). Per stack: paced runs at each rate (open loop, ramped warm-up), then
 * the closed-loop max run; each with a warm-up and a measured window. See docs/benchmarks.md.
 *
 * <p>Run: {@code ./mvnw -B -Pbench -pl standalone -am verify -DskipTests [-Dbench.stacks=a=/x/quarkus-run.jar,b=...
 * -Dbench.rates=1000,2000,5000 -Dbench.seconds=20 -Dbench.warmup=10 -Dbench.pairs=50]}
 */
public final class EndToEndBench {
    static final int USERS = Bench.intProp("bench.pairs", 50);
    static final List<Integer> RATES = Bench.intList("bench.rates", "1000,2000,5000");
    static final int WARMUP = Bench.intProp("bench.warmup", 10);
    static final int SECONDS = Bench.intProp("bench.seconds", 20);
    /** Seconds of load at {@code bench.jvmWarmupRate} before a stack's first run, not reported: JIT compilation of a
     *  fresh stack takes minutes of CPU on two cores, which would otherwise be billed to the first runs. */
    static final int JVM_WARMUP = Bench.intProp("bench.jvmWarmup", 120);
    static final int JVM_WARMUP_RATE = Bench.intProp("bench.jvmWarmupRate", 1000);
    static final int IN_FLIGHT = Bench.intProp("bench.inflight", 200);
    static final double GROUP_SHARE = Bench.doubleProp("bench.groupShare", 0.1);
    static final int GROUP_SIZE = Bench.intProp("bench.groupSize", 5);
    static final String PAD = "x".repeat(Bench.intProp("bench.body", 200));
    static final boolean SKIP_KAFKA = Bench.boolProp("bench.skipKafka", false);
    static final boolean KAFKA_EVERY_STACK = Bench.boolProp("bench.kafkaEveryStack", false);
    static final int WINDOW = 128;
    static final long TAIL_NANOS = TimeUnit.SECONDS.toNanos(5);

    private EndToEndBench() {}

    public static void main(String[] args) throws Exception {
        Map<String, Path> stacks = Bench.stacks();
        System.out.printf("%n# Pigeonhole end-to-end benchmark, %s%n%n%s%n", Bench.date(), Bench.machineLine());
        System.out.println("command: " + Bench.command("bench"));
        System.out.println("stacks: " + stacks + "; each stack JVM: " + StackProcess.options());
        System.out.printf("%d users (send + inbox socket each, window %d), %.0f%% of sends to groups of %d, ~%d-byte bodies,"
                        + " %d s warm-up + %d s measured per run, rates %s msg/s then max (%d in flight per sender)%n%n",
                USERS, WINDOW, GROUP_SHARE * 100, GROUP_SIZE, body(System.nanoTime()).length(), WARMUP, SECONDS, RATES,
                IN_FLIGHT);
        List<Integer> runs = new ArrayList<>(RATES);
        runs.add(0);
        List<RunResult> results = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        boolean first = true;
        for (Map.Entry<String, Path> s : stacks.entrySet()) {
            try (StackProcess stack = StackProcess.start(s.getKey(), s.getValue(), "bench-stack")) {
                System.out.printf("stack %s: pid %d, %s%n", stack.name, stack.pid(), s.getValue());
                Thread.sleep(3000); // let start-up work settle
                if (JVM_WARMUP > 0) {
                    System.out.printf("stack %s: warming the JVM up, %d s at %d msg/s (not reported)%n", stack.name,
                            JVM_WARMUP, JVM_WARMUP_RATE);
                    stack.awaitQuiet();
                    pigeonhole(stack, JVM_WARMUP_RATE, 10, JVM_WARMUP - 10);
                }
                if (!SKIP_KAFKA && (first || KAFKA_EVERY_STACK)) {
                    for (int rate : runs) {
                        String quiet = stack.awaitQuiet();
                        results.add(report(PlainKafkaRun.run(stack, rate), quiet, notes));
                    }
                }
                for (int rate : runs) {
                    String quiet = stack.awaitQuiet();
                    results.add(report(pigeonhole(stack, rate, WARMUP, SECONDS), quiet, notes));
                }
                notes.add("stack " + stack.name + ": " + stack.logSummary());
            }
            first = false;
        }
        System.out.printf("%n## End to end (%s)%n%n%s%n%s%n", Bench.date(), Bench.machineLine(), "command: " + Bench.command("bench"));
        System.out.println();
        System.out.println(RunResult.HEADER);
        results.forEach(r -> System.out.println(r.row()));
        System.out.println();
        System.out.println("delivered = an intended recipient's inbox socket read the message (a group send counts once per"
                + " member); CPU µs/msg = CPU time in the measured window / deliveries in it; plain Kafka's stack CPU is"
                + " the stack JVM's (its broker; the rest of the stack idles); lost = accepted but not received 5 s after"
                + " the run (in a run that cannot keep up, that is backlog, not necessarily loss).");
        notes.forEach(n -> System.out.println("- " + n));
        System.out.println();
        Ratios.print(results, RATES);
    }

    private static RunResult report(RunResult r, String quiet, List<String> notes) {
        System.out.println("  " + r.row());
        notes.add(String.format("%s %s: %s; %s; load generator %.0f µs per send; %s", r.stack(), r.run(), quiet,
                r.cpu().summary(), r.cpu().loadgenMicros() / (r.acceptedRate() * r.seconds()), r.notes()));
        return r;
    }

    static String body(long t) {
        return "{\"t\":" + t + ",\"pad\":\"" + PAD + "\"}";
    }

    /** Groups of consecutive users; member lists by group index. */
    static int[][] groups(int users, int size) {
        int[][] g = new int[(users + size - 1) / size][];
        for (int i = 0; i < g.length; i++) {
            g[i] = java.util.stream.IntStream.range(i * size, Math.min(users, (i + 1) * size)).toArray();
        }
        return g;
    }

    /** User i's next target: its group (a share of sends, if the group has another member) or user i+1. */
    static LoadLoop.Targets targets(int[][] groups, double groupShare) {
        SplittableRandom random = new SplittableRandom(42);
        return s -> {
            int g = s / GROUP_SIZE;
            return groups.length > 0 && groups[g].length > 1 && random.nextDouble() < groupShare ? -1 - g : (s + 1) % USERS;
        };
    }

    private static RunResult pigeonhole(StackProcess stack, int rate, int warmup, int seconds) throws Exception {
        String run = Long.toString(System.currentTimeMillis() % 100_000_000L, 36) + (rate > 0 ? "p" + rate : "max");
        String label = rate > 0 ? "paced" : "max";
        HttpClient http = Bench.HTTP;
        ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
        int[][] groups = groups(USERS, GROUP_SIZE);
        createGroups(http, stack, run, groups);
        Ledger ledger = new Ledger(USERS, USERS, groups);
        LoadLoop loop = new LoadLoop(rate, warmup, seconds);
        Recorder accepted = new Recorder(3);
        Recorder delivered = new Recorder(3);
        LongAdder acceptedInWindow = new LongAdder();
        LongAdder deliveredInWindow = new LongAdder();
        Map<String, Integer> refusals = new ConcurrentHashMap<>();
        InboxClient.Counts counts = new InboxClient.Counts();
        List<CompletableFuture<InboxClient>> inboxes = new ArrayList<>();
        for (int u = 0; u < USERS; u++) {
            int r = u;
            inboxes.add(InboxClient.open(http, stack.ws(), user(run, u), "d", WINDOW, timers, counts, (f, now) -> {
                if ("message".equals(f.type) && !f.own && ledger.received(r, f.id)) {
                    if (loop.inWindow(now)) {
                        deliveredInWindow.increment();
                    }
                    if (loop.inWindow(f.t)) {
                        delivered.recordValue(Math.max(1, (now - f.t) / 1000));
                    }
                }
            }));
        }
        List<WireSocket> senders = new ArrayList<>();
        for (int u = 0; u < USERS; u++) {
            senders.add(WireSocket.open(http, stack.ws() + "/v1/send?user=" + user(run, u) + "&device=d", (f, now) -> {
                if ("accepted".equals(f.type)) {
                    long t = ledger.accepted(f.id);
                    if (t >= 0 && loop.inWindow(now)) {
                        acceptedInWindow.increment();
                    }
                    if (loop.inWindow(t)) {
                        accepted.recordValue(Math.max(1, (now - t) / 1000));
                    }
                } else if ("rejected".equals(f.type) || "error".equals(f.type)) {
                    if (f.id != null) {
                        ledger.rejected(f.id);
                    }
                    refusals.merge(f.type + " " + f.code, 1, Integer::sum);
                }
            }).get(30, TimeUnit.SECONDS));
        }
        List<InboxClient> inboxClients = new ArrayList<>();
        for (CompletableFuture<InboxClient> f : inboxes) {
            InboxClient c = f.get(30, TimeUnit.SECONDS);
            if (!c.caughtUp.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("an inbox did not send caught_up within 30 s");
            }
            inboxClients.add(c);
        }
        int closesBefore = WireSocket.UNEXPECTED_CLOSES.get();
        Thread.sleep(1000); // the router learns the new groups from their topic
        System.out.printf("pigeonhole %s %s: %d users connected, run %s%n", stack.name, label, USERS, run);

        loop.begin();
        AtomicReference<Cpu.Snapshot> cpuStart = new AtomicReference<>();
        AtomicReference<Cpu.Snapshot> cpuEnd = new AtomicReference<>();
        timers.schedule(() -> cpuStart.set(Cpu.Snapshot.take(stack.pid())), loop.warmupEnd - System.nanoTime(), TimeUnit.NANOSECONDS);
        timers.schedule(() -> cpuEnd.set(Cpu.Snapshot.take(stack.pid())), loop.end - System.nanoTime(), TimeUnit.NANOSECONDS);
        loop.run(ledger, USERS, IN_FLIGHT, targets(groups, GROUP_SHARE), (s, n, target, t) -> senders.get(s).send(
                "{\"type\":\"send\",\"id\":\"" + Ledger.id(s, n) + "\",\"to\":\""
                        + (target >= 0 ? user(run, target) : "group:" + group(run, -1 - target)) + "\",\"body\":" + body(t) + "}"));
        long tailStart = System.nanoTime();
        while (!ledger.complete() && System.nanoTime() - tailStart < TAIL_NANOS) {
            Thread.sleep(20);
        }
        double tail = (System.nanoTime() - tailStart) / 1e9;
        while (cpuEnd.get() == null) {
            Thread.sleep(10);
        }
        Ledger.Verdict verdict = ledger.verdict();
        senders.forEach(WireSocket::close);
        inboxClients.forEach(InboxClient::close);
        Thread.sleep(300);
        timers.shutdownNow();
        stack.checkAlive();
        int closes = WireSocket.UNEXPECTED_CLOSES.get() - closesBefore;
        String notes = String.format("sent %d, %s; complete %.1f s after the last send%s%s; %s", ledger.sent.get(),
                counts.summary(), tail, refusals.isEmpty() ? "" : "; refused: " + refusals,
                closes == 0 ? "" : "; " + closes + " sockets closed by the server (last: " + WireSocket.lastClose + ")",
                verdict.expected() + " deliveries expected, " + verdict.received() + " received");
        return new RunResult(stack.name, "pigeonhole " + label, rate, acceptedInWindow.sum(), deliveredInWindow.sum(),
                seconds, accepted.getIntervalHistogram(), delivered.getIntervalHistogram(),
                cpuEnd.get().since(cpuStart.get()), verdict, notes);
    }

    static String user(String run, int i) {
        return "u-" + run + "-" + i;
    }

    static String group(String run, int g) {
        return "g-" + run + "-" + g;
    }

    /** {@code POST /v1/groups} as each group's first member (the owner), listing the others. */
    private static void createGroups(HttpClient http, StackProcess stack, String run, int[][] groups) throws Exception {
        for (int g = 0; g < groups.length; g++) {
            StringBuilder members = new StringBuilder();
            for (int i = 1; i < groups[g].length; i++) {
                members.append(i > 1 ? "," : "").append('"').append(user(run, groups[g][i])).append('"');
            }
            HttpRequest req = HttpRequest.newBuilder(URI.create(stack.http() + "/v1/groups?user=" + user(run, groups[g][0])
                    + "&device=d")).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                    "{\"id\":\"" + group(run, g) + "\",\"members\":[" + members + "]}")).build();
            for (int attempt = 0; ; attempt++) {
                HttpResponse<String> resp = http.send(req, HttpResponse.BodyHandlers.ofString());
                if (resp.statusCode() == 201) {
                    break;
                } else if (resp.statusCode() != 503 || attempt == 40) {
                    throw new IllegalStateException("creating group " + g + ": " + resp.statusCode() + " " + resp.body());
                }
                Thread.sleep(250);
            }
        }
    }
}
