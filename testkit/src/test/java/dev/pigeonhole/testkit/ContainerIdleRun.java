package dev.pigeonhole.testkit;

import dev.pigeonhole.load.Auth;
import dev.pigeonhole.load.Target;
import dev.pigeonhole.load.report.Report;
import dev.pigeonhole.load.report.ReportWriter;
import dev.pigeonhole.load.scenario.Idle;
import java.net.URI;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Idle density (S4) the way a user would measure it: the standalone image as one {@link PigeonholeContainer}, and
 * pigeonhole-load's {@code idle} scenario opening inbox connections in steps (heap after a full collection, direct
 * memory, RSS, threads and CPU at idle of the container's JVM, seen from the host). Reports (JSON, HTML with plots,
 * text) in {@code testkit/target/load-reports/idle-container/}.
 *
 * <pre>
 * ./mvnw -B -Pidle-container -pl testkit -am verify -DskipTests [-Didle.steps=2000,6000,12000,18000 -Didle.seconds=30]
 * </pre>
 */
public final class ContainerIdleRun {
    public static void main(String[] args) throws Exception {
        List<Integer> steps = Arrays.stream(System.getProperty("idle.steps", "2000,6000,12000,18000").split(","))
                .map(String::strip).map(Integer::valueOf).toList();
        double seconds = Double.parseDouble(System.getProperty("idle.seconds", "30"));
        LocalImages.build();
        Report report;
        try (PigeonholeContainer pigeonhole = new PigeonholeContainer().withDevIdentity()) {
            pigeonhole.start();
            long pid = pigeonhole.getContainerInfo().getState().getPidLong();
            URI ws = URI.create(pigeonhole.wsUrl());
            Target target = new Target(ws, List.of(ws), URI.create(pigeonhole.managementUrl()), pid, 8,
                    Auth.devIdentity());
            report = new Idle(new Idle.Spec(steps, 500, seconds, 5)).run(target);
        }
        Path dir = LocalImages.ROOT.resolve("testkit/target/load-reports/idle-container");
        List<Path> written = ReportWriter.write(report, dir);
        System.out.println(ReportWriter.text(report));
        System.out.println("reports: " + written);
        System.exit(report.passed() ? 0 : 1);
    }
}
