package dev.pigeonhole.load.scenario;

import dev.pigeonhole.load.Target;
import dev.pigeonhole.load.client.Frame;
import dev.pigeonhole.load.client.InboxClient;
import dev.pigeonhole.load.report.LatencyRecorder;
import dev.pigeonhole.load.report.Report;
import dev.pigeonhole.load.report.Sampler;
import dev.pigeonhole.load.server.CpuWindow;
import dev.pigeonhole.load.server.ServerProbe;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Offline backlog (S1): {@code recipients} users that never connected get {@code perRecipient} messages each from
 * {@code senders} senders (closed loop, at most {@code maxInFlight} unanswered per sender); then every recipient
 * connects at once ({@code connectRate} 0) and drains. Reports the store rate, the time from first connect until
 * every recipient has all its messages, drain msg/s, per-recipient drain times, lost and duplicated.
 */
public final class Backlog implements Scenario {
    public record Spec(int recipients, int perRecipient, int senders, int bodyBytes, int maxInFlight, int window,
                       int connectRate, double timeoutSeconds) {
        public static Spec defaults() {
            return new Spec(1000, 100, 100, 256, 200, 1024, 0, 300);
        }
    }

    private final Spec spec;

    public Backlog(Spec spec) {
        this.spec = spec;
    }

    @Override
    public String name() {
        return "backlog";
    }

    @Override
    public Report run(Target target) throws Exception {
        Report.Builder report = new Report.Builder(name(), spec, target.toString());
        LatencyRecorder drainTimes = new LatencyRecorder("first connect → recipient has all", report.startNanos());
        Map<InboxClient, AtomicInteger> counts = new ConcurrentHashMap<>();
        long[] drainStart = {Long.MAX_VALUE};
        InboxClient.Listener perRecipient = new InboxClient.Listener() {
            @Override
            public void onMessage(InboxClient client, Frame frame, long arrivedNanos) {
                if (!frame.own && counts.computeIfAbsent(client, c -> new AtomicInteger()).incrementAndGet() == spec.perRecipient()) {
                    drainTimes.record(drainStart[0], arrivedNanos);
                }
            }
        };
        ServerProbe probe = new ServerProbe(target.management(), target.serverPid());
        Duration timeout = Duration.ofMillis((long) (spec.timeoutSeconds() * 1000));
        try (Traffic traffic = new Traffic(target, Traffic.newRunId(), spec.senders(), spec.recipients(), false, new int[0][],
                spec.window(), 500, 30_000, report.startNanos(), perRecipient);
             Sampler sampler = new Sampler(report.startNanos(), 500)) {
            sampler.gauge("connections open", "connections", () -> traffic.wire.open.get())
                    .rate("accepted", "msg/s", () -> traffic.accepted.count())
                    .rate("deliveries", "msg/s", () -> traffic.ledger.receivedCount());
            traffic.startSenders();
            long total = (long) spec.recipients() * spec.perRecipient();
            CpuWindow cpu = CpuWindow.start(probe);
            long storeStart = System.nanoTime();
            for (long k = 0; k < total; k++) {
                int s = (int) (k % spec.senders());
                while (traffic.senders.get(s).unanswered() >= spec.maxInFlight()) {
                    LockSupport.parkNanos(100_000);
                }
                traffic.send(s, (int) (k % spec.recipients()), System.nanoTime(), spec.bodyBytes());
            }
            long deadline = System.nanoTime() + timeout.toNanos();
            while (traffic.accepted.count() + traffic.refusalCounts().values().stream().mapToLong(Long::longValue).sum() < total
                    && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            double storeSeconds = (System.nanoTime() - storeStart) / 1e9;
            drainStart[0] = System.nanoTime();
            traffic.startInboxes(0, spec.recipients(), spec.connectRate());
            boolean complete = traffic.awaitComplete(timeout);
            double drainSeconds = (System.nanoTime() - drainStart[0]) / 1e9;
            CpuWindow.Usage usage = cpu.end();
            report.figure("messages", total)
                    .figure("stored: first send → last accepted s", storeSeconds)
                    .figure("stored msg/s", traffic.accepted.count() / storeSeconds)
                    .figure("drain: first connect → every recipient has all s", drainSeconds)
                    .figure("drain msg/s", traffic.ledger.receivedCount() / drainSeconds)
                    .figure("round trip msg/s", traffic.ledger.receivedCount() / (storeSeconds + drainSeconds))
                    .figure("complete", complete)
                    .figure("refusals", traffic.refusalCounts())
                    .figure("server cores", usage.serverCores());
            if (usage.serverMicros() >= 0 && total > 0) {
                report.figure("server CPU µs per message", (double) usage.serverMicros() / total);
            }
            report.latency(drainTimes).latency(traffic.accepted).latency(traffic.delivered);
            sampler.finish().forEach(report::series);
            report.verdict(traffic.ledger.verdict()).note(traffic.streamAnomalies())
                    .note("delivered latency here is the age of a message when read: it includes the time it waited offline")
                    .require(complete, "not every recipient had all its messages within " + spec.timeoutSeconds() + " s");
            return report.build();
        }
    }
}
