package dev.pigeonhole.load.scenario;

import dev.pigeonhole.load.Target;
import dev.pigeonhole.load.client.InboxClient;
import dev.pigeonhole.load.report.Report;
import dev.pigeonhole.load.report.Sampler;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Churn: {@code clients} inbox clients; {@code churnPerSecond} times a second a random live client goes offline
 * (closes with 1000) and comes back {@code offlineMillis} later, resuming after the last seq it processed, while
 * {@code senders} send to random clients at {@code rate} msg/s. Every message must be delivered exactly once across
 * the reconnects: passes when nothing is lost, duplicated or reordered.
 */
public final class Churn implements Scenario {
    public record Spec(int clients, int senders, double rate, double seconds, double churnPerSecond, long offlineMillis,
                       int bodyBytes, int window, int connectRate, double drainSeconds) {
        public static Spec defaults() {
            return new Spec(200, 10, 100, 30, 10, 1000, 200, 128, 500, 30);
        }
    }

    private final Spec spec;

    public Churn(Spec spec) {
        this.spec = spec;
    }

    @Override
    public String name() {
        return "churn";
    }

    @Override
    public Report run(Target target) throws Exception {
        Report.Builder report = new Report.Builder(name(), spec, target.toString());
        AtomicLong offline = new AtomicLong();
        AtomicLong churned = new AtomicLong();
        ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
        try (Traffic traffic = new Traffic(target, Traffic.newRunId(), spec.senders(), spec.clients(), false, new int[0][],
                spec.window(), 500, 30_000, report.startNanos(), new InboxClient.Listener() { });
             Sampler sampler = new Sampler(report.startNanos(), 250)) {
            sampler.gauge("clients live (caught up)", "clients", traffic::live)
                    .gauge("connections open", "connections", () -> traffic.wire.open.get())
                    .rate("deliveries", "msg/s", () -> traffic.ledger.receivedCount());
            traffic.startSenders();
            traffic.startInboxes(0, spec.clients(), spec.connectRate());
            if (!traffic.awaitLive(spec.clients(), Duration.ofSeconds(60 + spec.clients() / Math.max(1, spec.connectRate())))) {
                report.require(false, "only " + traffic.live() + " of " + spec.clients() + " clients caught up");
                sampler.finish().forEach(report::series);
                return report.build();
            }
            SplittableRandom sendRandom = new SplittableRandom(11);
            SendLoop loop = new SendLoop(spec.rate(), 1, spec.seconds(), (k, t) -> traffic.send((int) (k % spec.senders()),
                    sendRandom.nextInt(spec.clients()), t, spec.bodyBytes()));
            SplittableRandom churnRandom = new SplittableRandom(13);
            long interval = (long) (1e9 / Math.max(1e-3, spec.churnPerSecond()));
            long next = System.nanoTime();
            long end = loop.startNanos + (long) (spec.seconds() * 1e9);
            while ((next += interval) < end) {
                dev.pigeonhole.load.Pacer.sleepUntil(next);
                InboxClient c = traffic.inboxes.get(churnRandom.nextInt(spec.clients()));
                if (!c.live()) {
                    continue; // already offline or reconnecting: skip this beat
                }
                c.disconnect();
                churned.incrementAndGet();
                offline.incrementAndGet();
                timers.schedule(() -> {
                    offline.decrementAndGet();
                    c.start();
                }, spec.offlineMillis(), TimeUnit.MILLISECONDS);
            }
            loop.join();
            timers.shutdown();
            timers.awaitTermination(spec.offlineMillis() + 5000, TimeUnit.MILLISECONDS);
            boolean complete = traffic.awaitComplete(Duration.ofMillis((long) (spec.drainSeconds() * 1000)));
            report.figure("clients", spec.clients())
                    .figure("churn events (went offline and came back)", churned.get())
                    .figure("connects in all", traffic.inboxCounter(InboxClient::connects))
                    .figure("drops not asked for", traffic.drops.sum())
                    .figure("close codes seen", traffic.closeCodeCounts())
                    .figure("upgrades shed (503 + Retry-After)", traffic.shed.sum())
                    .figure("connect failures", traffic.connectFailureCounts())
                    .figure("sent", traffic.ledger.sent())
                    .figure("all delivered", complete)
                    .figure("refusals", traffic.refusalCounts());
            report.latency(traffic.accepted).latency(traffic.delivered);
            sampler.finish().forEach(report::series);
            report.verdict(traffic.ledger.verdict()).note(traffic.streamAnomalies())
                    .note("delivered latency includes the time a recipient was offline (up to " + spec.offlineMillis() + " ms)")
                    .require(traffic.inboxCounter(c -> c.seqRepeats() + c.seqJumps()) == 0, "inbox streams broke seq order");
            return report.build();
        } finally {
            timers.shutdownNow();
        }
    }
}
