package dev.pigeonhole.standalone.bench;

import dev.pigeonhole.load.client.Wire;
import io.vertx.core.http.WebSocket;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/**
 * Idle density (S4): what one stack JVM pays per idle {@code /v1/inbox} connection. Opens connections in steps
 * (each a different user, device {@code d}, from source addresses 127.0.0.2… in turn), waits until every one got
 * {@code caught_up} and the stack is quiet, then measures after a full collection ({@code jcmd GC.run}): live heap,
 * JVM direct buffers, Netty's direct memory, RSS, threads and file descriptors; and the stack's CPU over
 * {@code idleSeconds} while the connections idle with heartbeats on (the server pings every 15 s, the client's
 * WebSocket answers). Per-connection figures are the differences to the step with no connection, divided by the
 * count. By default the process measured is the standalone jar (embedded broker, router, gateway, delivery in one
 * JVM), so its router state for the registered devices is in the figures too; with {@code -Dbench.split=true} it is a
 * delivery JVM alone, started as the integration tests start services (a broker in the benchmark's JVM, the router in
 * its own).
 *
 * <p>Run: {@code ./mvnw -B -Pidle-bench -pl standalone -am verify -DskipTests [-Dbench.connections=2000,6000,12000,18000
 * -Dbench.connectRate=1000 -Dbench.idleSeconds=60 -Dbench.addresses=4 -Dbench.split=true]}. The ceiling here is the open-file limit
 * ({@code ulimit -n}, 20,000 on the benchmark machine, and root may not raise it): the stack needs one descriptor per
 * connection, so steps stop below it.
 */
public final class IdleDensityBench {
    private static final List<Integer> STEPS = Bench.intList("bench.connections", "2000,6000,12000,18000");
    private static final int RATE = Bench.intProp("bench.connectRate", 1000);
    private static final int IDLE_SECONDS = Bench.intProp("bench.idleSeconds", 60);
    private static final int ADDRESSES = Bench.intProp("bench.addresses", 4);

    private final AtomicInteger opened = new AtomicInteger();
    private final AtomicInteger caughtUp = new AtomicInteger();
    private final AtomicInteger failed = new AtomicInteger();
    private final AtomicInteger closed = new AtomicInteger();
    private final AtomicReference<String> lastFailure = new AtomicReference<>("");

    /** One measurement of the stack process. */
    record Sample(int connections, long heap, long direct, long nettyDirect, long rss, int threads, int fds,
                  double idleCores, double loadgenCores) {}

    /** The process measured: the standalone stack, or with {@code bench.split=true} a delivery JVM alone. */
    private record Target(String what, long pid, int port, int managementPort, Runnable checkAlive) {}

    public static void main(String[] args) throws Exception {
        boolean split = Bench.boolProp("bench.split", false);
        if (!split && !System.getProperty("bench.stack.opts", "").contains("-Xmx")) {
            System.setProperty("bench.stack.opts", "-Xmx4g " + System.getProperty("bench.stack.opts", ""));
        }
        System.out.println(Bench.machineLine());
        System.out.println("date: " + Bench.date() + "; open-file limit of this JVM: " + openFileLimit() + "; measured: "
                + (split ? "a delivery JVM alone (" + dev.pigeonhole.standalone.SplitStack.serviceJvmOptions()
                        + "; broker in the benchmark's JVM, router in its own)" : "the standalone stack ("
                        + StackProcess.options() + ")"));
        try {
            if (split) {
                try (var stack = dev.pigeonhole.standalone.SplitStack.start("idle-split")) {
                    new IdleDensityBench().run(new Target("delivery", stack.deliveryPid(), stack.deliveryPort(),
                            stack.deliveryManagementPort(), () -> { }));
                }
            } else {
                try (StackProcess stack = StackProcess.start("idle", Bench.stacks().values().iterator().next(), "idle-bench")) {
                    new IdleDensityBench().run(new Target("stack", stack.pid(), stack.port, stack.managementPort,
                            stack::checkAlive));
                    System.out.println(stack.logSummary());
                }
            }
        } catch (Throwable e) {
            e.printStackTrace();
            System.out.println("reproduce: " + Bench.command("idle-bench"));
            System.exit(1); // client threads would keep the JVM (and Maven) waiting
        }
        System.out.println("reproduce: " + Bench.command("idle-bench"));
        System.exit(0);
    }

    private void run(Target target) throws Exception {
        List<Sample> samples = new ArrayList<>();
        try (Wire clients = new Wire(ADDRESSES, 1)) {
            System.out.println(awaitQuiet(target, 30));
            samples.add(measure(target, 0));
            print(target, samples);
            for (int step : STEPS) {
                long start = System.nanoTime();
                open(clients, target.port(), step);
                System.out.printf("%d connections opened in %.1f s (%d caught up, %d failed, %d closed since%s)%n",
                        opened.get(), (System.nanoTime() - start) / 1e9, caughtUp.get(), failed.get(), closed.get(),
                        lastFailure.get().isEmpty() ? "" : "; last failure: " + lastFailure.get());
                if (caughtUp.get() < step) {
                    System.out.println("not every connection caught up: stopping at " + caughtUp.get());
                    break;
                }
                System.out.println(awaitQuiet(target, 120));
                samples.add(measure(target, caughtUp.get() - closed.get()));
                print(target, samples);
                target.checkAlive().run();
            }
        }
    }

    private static String awaitQuiet(Target target, int timeoutSeconds) throws InterruptedException {
        return target.what() + ": " + StackProcess.awaitQuiet(target.pid(), target.checkAlive(), 0.3, timeoutSeconds);
    }

    /** Opens connections until {@code target} are open, at most {@link #RATE} per second, 500 handshakes at a time. */
    private void open(Wire clients, int port, int target) throws InterruptedException {
        Semaphore handshakes = new Semaphore(500);
        long interval = TimeUnit.SECONDS.toNanos(1) / RATE;
        long next = System.nanoTime();
        while (opened.get() < target) {
            int i = opened.getAndIncrement();
            Bench.sleepUntil(next);
            next += interval;
            handshakes.acquire();
            clients.connect(URI.create("ws://127.0.0.1:" + port), "/v1/inbox?user=idle-" + i + "&device=d", null)
                    .onComplete(result -> {
                        handshakes.release();
                        if (result.failed()) {
                            failed.incrementAndGet();
                            lastFailure.set(String.valueOf(result.cause()));
                            return;
                        }
                        WebSocket ws = result.result();
                        ws.textMessageHandler(text -> {
                            if (text.contains("\"type\":\"caught_up\"")) {
                                caughtUp.incrementAndGet();
                            }
                        });
                        clients.whenClosed(ws, () -> {
                            closed.incrementAndGet();
                            lastFailure.set("closed with " + ws.closeStatusCode() + " " + ws.closeReason());
                        });
                    });
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (caughtUp.get() + failed.get() < target && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
    }

    private Sample measure(Target stack, int connections) throws Exception {
        gc(stack.pid());
        String metrics = Bench.HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + stack.managementPort()
                + "/q/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        long heap = sum(metrics, "jvm_memory_used_bytes{area=\"heap\"", "");
        long direct = sum(metrics, "jvm_buffer_memory_used_bytes{id=\"direct\"", "");
        long netty = metrics.contains("netty_allocator_memory_used{")
                ? sum(metrics, "netty_allocator_memory_used{", "memory_type=\"direct\"") : -1;
        long[] status = procStatus(stack.pid());
        Cpu.Snapshot before = Cpu.Snapshot.take(stack.pid());
        Thread.sleep(TimeUnit.SECONDS.toMillis(IDLE_SECONDS));
        Cpu.Delta idle = Cpu.Snapshot.take(stack.pid()).since(before);
        return new Sample(connections, heap, direct, netty, status[0], (int) status[1], fds(stack.pid()),
                idle.serverMicros() / 1e6 / idle.seconds(), idle.loadgenMicros() / 1e6 / idle.seconds());
    }

    private static void print(Target target, List<Sample> samples) {
        Sample base = samples.get(0);
        System.out.println("| connections | live heap MiB | JVM direct MiB | Netty direct MiB | RSS MiB | threads | fds"
                + " | heap KiB/conn | heap+direct KiB/conn | RSS KiB/conn | " + target.what()
                + " CPU at idle (% of a core) |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
        for (Sample s : samples) {
            int n = s.connections();
            long nettyDelta = s.nettyDirect() >= 0 && base.nettyDirect() >= 0 ? s.nettyDirect() - base.nettyDirect() : 0;
            System.out.printf("| %,d | %.1f | %.1f | %s | %.0f | %d | %d | %s | %s | %s | %.1f |%n", n, s.heap() / 1048576.0,
                    s.direct() / 1048576.0, s.nettyDirect() < 0 ? "n/a" : String.format("%.1f", s.nettyDirect() / 1048576.0),
                    s.rss() / 1048576.0, s.threads(), s.fds(),
                    perConnection(s.heap() - base.heap(), n),
                    perConnection(s.heap() - base.heap() + s.direct() - base.direct() + nettyDelta, n),
                    perConnection(s.rss() - base.rss(), n), s.idleCores() * 100);
        }
    }

    private static String perConnection(long bytes, int n) {
        return n == 0 ? "-" : String.format("%.1f", bytes / 1024.0 / n);
    }

    /** A full collection in the stack, so that heap figures are live data. */
    private static void gc(long pid) throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "GC.run").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        Thread.sleep(1000);
    }

    /** Sum of the values of the Prometheus lines starting with {@code prefix} and containing {@code label}. */
    private static long sum(String metrics, String prefix, String label) {
        return (long) metrics.lines().filter(l -> l.startsWith(prefix) && l.contains(label))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    /** {RSS bytes, threads} from /proc. */
    private static long[] procStatus(long pid) throws IOException {
        long rss = 0;
        long threads = 0;
        for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (l.startsWith("VmRSS:")) {
                rss = Long.parseLong(l.replaceAll("\\D", "")) * 1024;
            } else if (l.startsWith("Threads:")) {
                threads = Long.parseLong(l.replaceAll("\\D", ""));
            }
        }
        return new long[] {rss, threads};
    }

    private static int fds(long pid) throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return (int) s.count();
        }
    }

    private static String openFileLimit() {
        try {
            return Files.readAllLines(Path.of("/proc/self/limits")).stream().filter(l -> l.startsWith("Max open files"))
                    .map(l -> l.replaceAll("\\s+", " ").trim()).findFirst().orElse("unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }
}
