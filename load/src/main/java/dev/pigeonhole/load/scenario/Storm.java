package dev.pigeonhole.load.scenario;

import dev.pigeonhole.load.Target;
import dev.pigeonhole.load.client.InboxClient;
import dev.pigeonhole.load.report.LatencyRecorder;
import dev.pigeonhole.load.report.Report;
import dev.pigeonhole.load.report.Sampler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reconnect storm (S3): {@code clients} inbox clients spread over the delivery URLs, connected and caught up; a
 * fault is injected (a {@link Runnable}: e.g. killing a delivery process; or, with none, the scenario waits for
 * connections to drop); messages keep going to a sample of the clients ({@code sampleShare}) throughout. Measures,
 * from the fault, the time until 50 / 95 / 100 % of the dropped clients are back and caught up (reconnected and past
 * {@code caught_up} on a new connection), reconnects per second over time, lost and duplicated messages. Passes when
 * every dropped client came back and nothing was lost or duplicated.
 */
public final class Storm implements Scenario {
    public record Spec(int clients, int senders, double sampleShare, double rate, int bodyBytes, int window, int connectRate,
                       double settleSeconds, double recoverTimeoutSeconds, double afterSeconds, long backoffMinMs,
                       long backoffMaxMs) {
        public static Spec defaults() {
            return new Spec(1000, 10, 0.1, 100, 200, 128, 500, 5, 120, 5, 500, 30_000);
        }
    }

    private final Spec spec;
    private final Runnable fault;

    /** @param fault run once the fleet is up (on the scenario's thread); null: wait for connections to drop */
    public Storm(Spec spec, Runnable fault) {
        this.spec = spec;
        this.fault = fault;
    }

    @Override
    public String name() {
        return "storm";
    }

    @Override
    public Report run(Target target) throws Exception {
        Report.Builder report = new Report.Builder(name(), spec, target.toString());
        Map<InboxClient, Long> droppedAt = new ConcurrentHashMap<>();
        Map<InboxClient, Long> backAt = new ConcurrentHashMap<>();
        long[] faultAt = {Long.MAX_VALUE};
        LatencyRecorder reconnect = new LatencyRecorder("drop → back and caught up", report.startNanos());
        InboxClient.Listener watch = new InboxClient.Listener() {
            @Override
            public void onDrop(InboxClient client, int code, String reason) {
                if (System.nanoTime() >= faultAt[0] || fault == null) {
                    droppedAt.putIfAbsent(client, System.nanoTime());
                }
            }

            @Override
            public void onCaughtUp(InboxClient client, long sinceConnectNanos) {
                Long dropped = droppedAt.get(client);
                if (dropped != null && backAt.putIfAbsent(client, System.nanoTime()) == null) {
                    reconnect.record(dropped, System.nanoTime());
                }
            }
        };
        SplittableRandom random = new SplittableRandom(7);
        int sampled = Math.max(1, (int) Math.round(spec.clients() * spec.sampleShare()));
        try (Traffic traffic = new Traffic(target, Traffic.newRunId(), spec.senders(), spec.clients(), false, new int[0][],
                spec.window(), spec.backoffMinMs(), spec.backoffMaxMs(), report.startNanos(), watch);
             Sampler sampler = new Sampler(report.startNanos(), 250)) {
            sampler.gauge("clients live (caught up)", "clients", traffic::live)
                    .gauge("connections open", "connections", () -> traffic.wire.open.get())
                    .rate("reconnects", "per second", () -> traffic.reconnects.sum());
            traffic.startSenders();
            traffic.startInboxes(0, spec.clients(), spec.connectRate());
            if (!traffic.awaitLive(spec.clients(), Duration.ofSeconds(60 + spec.clients() / Math.max(1, spec.connectRate())))) {
                report.require(false, "only " + traffic.live() + " of " + spec.clients() + " clients caught up before the fault");
                sampler.finish().forEach(report::series);
                return report.build();
            }
            // the sample: every (clients / sampled)-th client, so it spans all delivery instances
            int stride = Math.max(1, spec.clients() / sampled);
            SendLoop loop = new SendLoop(spec.rate(), 1, Double.POSITIVE_INFINITY, (k, t) -> traffic.send(
                    (int) (k % spec.senders()), (int) ((random.nextInt(sampled) * (long) stride) % spec.clients()), t,
                    spec.bodyBytes()));
            Thread.sleep((long) (spec.settleSeconds() * 1000));
            if (fault != null) {
                faultAt[0] = System.nanoTime();
                fault.run();
            } else {
                long wait = System.nanoTime() + Duration.ofMinutes(10).toNanos();
                while (traffic.live() == spec.clients() && System.nanoTime() < wait) {
                    Thread.sleep(10);
                }
                faultAt[0] = System.nanoTime();
            }
            long recoverDeadline = faultAt[0] + (long) (spec.recoverTimeoutSeconds() * 1e9);
            Thread.sleep(500); // drops are noticed within milliseconds on loopback
            while ((droppedAt.isEmpty() || backAt.size() < droppedAt.size() || traffic.live() < spec.clients())
                    && System.nanoTime() < recoverDeadline) {
                Thread.sleep(20);
            }
            double recovered = (System.nanoTime() - faultAt[0]) / 1e9;
            Thread.sleep((long) (spec.afterSeconds() * 1000));
            loop.stop();
            boolean complete = traffic.awaitComplete(Duration.ofSeconds(30));
            List<Double> backSeconds = new ArrayList<>();
            backAt.values().forEach(t -> backSeconds.add((t - faultAt[0]) / 1e9));
            Collections.sort(backSeconds);
            int dropped = droppedAt.size();
            report.figure("clients", spec.clients())
                    .figure("dropped by the fault", dropped)
                    .figure("back and caught up", backSeconds.size())
                    .figure("time to 50 % back s", quantile(backSeconds, dropped, 0.5))
                    .figure("time to 95 % back s", quantile(backSeconds, dropped, 0.95))
                    .figure("time to 100 % back s", quantile(backSeconds, dropped, 1.0))
                    .figure("reconnects", traffic.reconnects.sum())
                    .figure("upgrades shed (503 + Retry-After)", traffic.shed.sum())
                    .figure("connect failures", traffic.connectFailureCounts())
                    .figure("close codes seen", traffic.closeCodeCounts())
                    .figure("messages sent during the run", traffic.ledger.sent())
                    .figure("all messages delivered", complete)
                    .figure("refusals", traffic.refusalCounts());
            report.latency(reconnect).latency(traffic.accepted).latency(traffic.delivered);
            sampler.finish().forEach(report::series);
            report.require(dropped > 0, "the fault dropped no connection")
                    .require(backSeconds.size() == dropped && traffic.live() == spec.clients(), "only "
                            + backSeconds.size() + " of " + dropped + " dropped clients came back within "
                            + spec.recoverTimeoutSeconds() + " s (" + traffic.live() + " of " + spec.clients() + " live)")
                    .verdict(traffic.ledger.verdict()).note(traffic.streamAnomalies())
                    .note(String.format("recovery watched for %.1f s after the fault", recovered));
            return report.build();
        }
    }

    /** Seconds until fraction {@code q} of {@code of} clients were back, or -1 if that many never came back. */
    static double quantile(List<Double> sortedSeconds, int of, double q) {
        int need = (int) Math.ceil(q * of);
        if (of == 0 || need > sortedSeconds.size()) {
            return -1;
        }
        return Math.round(sortedSeconds.get(Math.max(0, need - 1)) * 1000) / 1000.0;
    }
}
