package dev.pigeonhole.load.scenario;

import dev.pigeonhole.load.Target;
import dev.pigeonhole.load.report.Report;
import dev.pigeonhole.load.report.Sampler;
import dev.pigeonhole.load.server.CpuWindow;
import dev.pigeonhole.load.server.ServerProbe;
import java.time.Duration;
import java.util.SplittableRandom;

/**
 * Steady traffic: {@code users} users, each with a send socket and an inbox; user i sends to user i+1, a share of
 * its sends to its group ({@code groupSize} consecutive users). Paced open loop at {@code rate} msg/s (ramped over
 * {@code rampSeconds}); latency from each message's intended send time to {@code accepted} and to the recipient's
 * socket reading it (a group send counts once per member). Passes when nothing is lost, duplicated or reordered.
 */
public final class Steady implements Scenario {
    /**
     * @param drainSeconds how long to wait after the last send for every message to arrive
     */
    public record Spec(int users, double rate, double rampSeconds, double seconds, double groupShare, int groupSize,
                       int bodyBytes, int window, int connectRate, double drainSeconds) {
        public Spec {
            if (users < 2) {
                throw new IllegalArgumentException("users >= 2");
            }
            if (groupShare < 0 || groupShare > 1) {
                throw new IllegalArgumentException("groupShare in [0, 1]");
            }
        }

        public static Spec defaults() {
            return new Spec(50, 200, 5, 30, 0.1, 5, 200, 128, 200, 30);
        }
    }

    private final Spec spec;

    public Steady(Spec spec) {
        this.spec = spec;
    }

    @Override
    public String name() {
        return "steady";
    }

    @Override
    public Report run(Target target) throws Exception {
        Report.Builder report = new Report.Builder(name(), spec, target.toString());
        int[][] groups = spec.groupShare() > 0 ? Traffic.consecutiveGroups(spec.users(), spec.groupSize()) : new int[0][];
        ServerProbe probe = new ServerProbe(target.management(), target.serverPid());
        try (Traffic traffic = new Traffic(target, Traffic.newRunId(), spec.users(), spec.users(), true, groups,
                spec.window(), 500, 30_000, report.startNanos(), new dev.pigeonhole.load.client.InboxClient.Listener() { });
             Sampler sampler = new Sampler(report.startNanos(), 500)) {
            sampler.gauge("connections open", "connections", () -> traffic.wire.open.get())
                    .rate("deliveries", "msg/s", () -> traffic.ledger.receivedCount())
                    .rate("accepted", "msg/s", () -> traffic.accepted.count());
            traffic.createGroups();
            traffic.startSenders();
            traffic.startInboxes(0, spec.users(), spec.connectRate());
            if (!traffic.awaitLive(spec.users(), Duration.ofSeconds(60 + spec.users() / Math.max(1, spec.connectRate())))) {
                report.require(false, "only " + traffic.live() + " of " + spec.users() + " inboxes caught up within the timeout");
                report.series(sampler.finish().get(0));
                return report.build();
            }
            SplittableRandom random = new SplittableRandom(42);
            CpuWindow cpu = CpuWindow.start(probe);
            SendLoop loop = new SendLoop(spec.rate(), spec.rampSeconds(), spec.seconds(), (k, t) -> {
                int s = (int) (k % spec.users());
                int g = s / Math.max(1, spec.groupSize());
                boolean group = groups.length > 0 && groups[g].length > 1 && random.nextDouble() < spec.groupShare();
                traffic.send(s, group ? -1 - g : (s + 1) % spec.users(), t, spec.bodyBytes());
            });
            loop.join();
            double sendSeconds = loop.elapsed();
            CpuWindow.Usage usage = cpu.end();
            boolean complete = traffic.awaitComplete(Duration.ofMillis((long) (spec.drainSeconds() * 1000)));
            report.figure("offered msg/s", spec.rate())
                    .figure("sent", traffic.ledger.sent())
                    .figure("accepted msg/s (sending window)", traffic.accepted.count() / sendSeconds)
                    .figure("deliveries", traffic.ledger.receivedCount())
                    .figure("complete after the last send", complete)
                    .figure("refusals", traffic.refusalCounts())
                    .figure("server cores (sending window)", usage.serverCores())
                    .figure("load generator cores (sending window)", usage.loadgenCores());
            if (usage.serverMicros() >= 0 && traffic.ledger.receivedCount() > 0) {
                report.figure("server CPU µs per delivery", (double) usage.serverMicros() / traffic.ledger.receivedCount());
            }
            report.latency(traffic.accepted).latency(traffic.delivered);
            sampler.finish().forEach(report::series);
            report.verdict(traffic.ledger.verdict()).note(traffic.streamAnomalies())
                    .require(traffic.inboxCounter(c -> c.seqRepeats() + c.seqJumps()) == 0, "inbox streams broke seq order");
            return report.build();
        }
    }
}
