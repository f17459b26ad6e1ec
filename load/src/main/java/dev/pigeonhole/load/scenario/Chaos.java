package dev.pigeonhole.load.scenario;

import dev.pigeonhole.load.Ledger;
import dev.pigeonhole.load.Target;
import dev.pigeonhole.load.client.InboxClient;
import dev.pigeonhole.load.report.Report;
import dev.pigeonhole.load.report.Sampler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Faults under steady traffic: {@code users} users each send to the next at {@code rate} msg/s in all (paced, open
 * loop) for the whole run while their inboxes stay connected; the faults run one after the other — each injected,
 * held {@code faultSeconds}, healed, then given until {@code recoverTimeoutSeconds} for every inbox to be back and every
 * accepted message delivered. Per fault: messages accepted and delivered during its window, lost (accepted, not
 * delivered once recovered), duplicated, reordered (deltas of the whole run's ledger, so nothing can hide in between)
 * and the time from the end of the heal (a restarted container is ready again) until recovered. Passes when every fault recovered with nothing lost, duplicated or
 * reordered.
 */
public final class Chaos implements Scenario {
    /** A fault: {@code inject} breaks something, {@code heal} undoes it (e.g. kill / restart, pause / unpause). */
    public record Fault(String name, Runnable inject, Runnable heal) {}

    public record Spec(int users, double rate, int bodyBytes, int window, double warmupSeconds, double faultSeconds,
                       double recoverTimeoutSeconds, double settleSeconds) {
        public static Spec defaults() {
            return new Spec(40, 50, 200, 128, 10, 10, 120, 5);
        }
    }

    private final Spec spec;
    private final List<Fault> faults;
    private final InboxClient.Listener watch;

    public Chaos(Spec spec, List<Fault> faults) {
        this(spec, faults, new InboxClient.Listener() { });
    }

    /** @param watch also told of every inbox event (e.g. a benchmark timing deliveries per window) */
    public Chaos(Spec spec, List<Fault> faults, InboxClient.Listener watch) {
        this.spec = spec;
        this.faults = List.copyOf(faults);
        this.watch = watch;
    }

    @Override
    public String name() {
        return "chaos";
    }

    @Override
    public Report run(Target target) throws Exception {
        Report.Builder report = new Report.Builder(name(), spec, target.toString());
        List<List<Object>> rows = new ArrayList<>();
        try (Traffic traffic = new Traffic(target, Traffic.newRunId(), spec.users(), spec.users(), true, new int[0][],
                spec.window(), 200, 5_000, report.startNanos(), watch);
             Sampler sampler = new Sampler(report.startNanos(), 500)) {
            sampler.gauge("inboxes live (caught up)", "clients", traffic::live)
                    .rate("accepted", "msg/s", () -> traffic.accepted.count())
                    .rate("deliveries", "msg/s", () -> traffic.ledger.receivedCount());
            traffic.startSenders();
            traffic.startInboxes(0, spec.users(), 200);
            if (!traffic.awaitLive(spec.users(), Duration.ofSeconds(60))) {
                report.require(false, "only " + traffic.live() + " of " + spec.users() + " inboxes caught up");
                sampler.finish().forEach(report::series);
                return report.build();
            }
            SendLoop loop = new SendLoop(spec.rate(), 1, Double.POSITIVE_INFINITY,
                    (k, t) -> traffic.send((int) (k % spec.users()), (int) ((k + 1) % spec.users()), t, spec.bodyBytes()));
            try {
                Thread.sleep((long) (spec.warmupSeconds() * 1000));
                for (Fault fault : faults) {
                    rows.add(runFault(fault, traffic, report));
                    Thread.sleep((long) (spec.settleSeconds() * 1000));
                }
            } finally {
                loop.stop();
            }
            boolean complete = traffic.awaitComplete(Duration.ofSeconds((long) spec.recoverTimeoutSeconds()));
            report.table(new Report.Table("faults", List.of("fault", "accepted", "delivered", "lost", "duplicated",
                    "reordered", "recovered", "seconds to recover after the heal"), rows));
            report.figure("faults", faults.size())
                    .figure("complete at the end", complete)
                    .latency(traffic.accepted).latency(traffic.delivered);
            sampler.finish().forEach(report::series);
            report.verdict(traffic.ledger.verdict()).note(traffic.streamAnomalies())
                    .require(traffic.inboxCounter(c -> c.seqRepeats() + c.seqJumps()) == 0, "inbox streams broke seq order");
            for (List<Object> row : rows) {
                report.require(Boolean.TRUE.equals(row.get(6)), row.get(0) + ": not recovered within "
                        + spec.recoverTimeoutSeconds() + " s");
            }
            return report.build();
        }
    }

    private List<Object> runFault(Fault fault, Traffic traffic, Report.Builder report) throws InterruptedException {
        Ledger.Verdict before = traffic.ledger.verdict();
        long acceptedBefore = traffic.accepted.count();
        report.note(String.format("%.1f s: %s", (System.nanoTime() - report.startNanos()) / 1e9, fault.name()));
        fault.inject().run();
        Thread.sleep((long) (spec.faultSeconds() * 1000));
        fault.heal().run();
        long healed = System.nanoTime();
        long deadline = healed + (long) (spec.recoverTimeoutSeconds() * 1e9);
        // recovered: every inbox back, and everything accepted that was sent before the heal delivered
        boolean recovered = false;
        while (System.nanoTime() < deadline) {
            if (traffic.live() == spec.users() && traffic.ledger.undeliveredBefore(healed) == 0) {
                recovered = true;
                break;
            }
            Thread.sleep(50);
        }
        double seconds = (System.nanoTime() - healed) / 1e9;
        Ledger.Verdict after = traffic.ledger.verdict();
        List<Object> row = new ArrayList<>();
        row.add(fault.name());
        row.add(traffic.accepted.count() - acceptedBefore);
        row.add(after.received() - before.received());
        row.add(traffic.ledger.undeliveredBefore(healed));
        row.add(after.duplicated() - before.duplicated());
        row.add(after.reordered() - before.reordered());
        row.add(recovered);
        row.add(Math.round(seconds * 10) / 10.0);
        return row;
    }
}
