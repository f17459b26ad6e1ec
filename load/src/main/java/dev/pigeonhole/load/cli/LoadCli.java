package dev.pigeonhole.load.cli;

import dev.pigeonhole.load.Auth;
import dev.pigeonhole.load.Target;
import dev.pigeonhole.load.report.Report;
import dev.pigeonhole.load.report.ReportWriter;
import dev.pigeonhole.load.scenario.Backlog;
import dev.pigeonhole.load.scenario.Churn;
import dev.pigeonhole.load.scenario.Idle;
import dev.pigeonhole.load.scenario.Scenario;
import dev.pigeonhole.load.scenario.Steady;
import dev.pigeonhole.load.scenario.Storm;
import java.net.URI;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code pigeonhole-load <scenario> [options]}: runs one scenario against a running Pigeonhole, writes
 * {@code <scenario>.json/.html/.txt} into {@code --report-dir}, prints the text summary. Exit code 0 when the run
 * passed, 1 when it did not (something lost, duplicated, not back…), 2 for bad usage.
 */
@Command(name = "pigeonhole-load", mixinStandardHelpOptions = true, version = "pigeonhole-load 0.1",
        description = "Load generator for a running Pigeonhole (loopback). Reports: JSON, HTML with plots, text.",
        subcommands = {LoadCli.SteadyCmd.class, LoadCli.BacklogCmd.class, LoadCli.StormCmd.class, LoadCli.IdleCmd.class,
                LoadCli.ChurnCmd.class})
public final class LoadCli {
    public static void main(String[] args) {
        int code = new CommandLine(new LoadCli()).execute(args);
        System.exit(code);
    }

    /** Options every scenario takes: where the server is, how to reach it, where the reports go. */
    static final class Common {
        @Option(names = "--gateway", defaultValue = "ws://127.0.0.1:8080", description = "gateway base (default ${DEFAULT-VALUE})")
        URI gateway;

        @Option(names = "--delivery", split = ",", description = "delivery bases, comma separated (default: the gateway's)")
        List<URI> deliveries;

        @Option(names = "--management", description = "management base of the measured process, e.g. http://127.0.0.1:9000")
        URI management;

        @Option(names = "--server-pid", defaultValue = "-1", description = "pid of the measured process (same machine)")
        long serverPid;

        @Option(names = "--source-addresses", defaultValue = "4",
                description = "bind connections round-robin to 127.0.0.2..127.0.0.(1+N); 0: let the OS choose (default ${DEFAULT-VALUE})")
        int sourceAddresses;

        @Option(names = "--token-url", description = "mint dev tokens here (standalone: http://127.0.0.1:8080/dev/tokens) instead of the dev identity")
        URI tokenUrl;

        @Option(names = "--report-dir", defaultValue = "load-reports", description = "where reports go (default ${DEFAULT-VALUE})")
        Path reportDir;

        Target target() {
            for (URI u : all()) {
                if (!u.getHost().startsWith("127.") && !"localhost".equals(u.getHost())) {
                    throw new CommandLine.ParameterException(new CommandLine(new LoadCli()),
                            "loopback only: " + u + " is not in 127.0.0.0/8");
                }
            }
            return new Target(gateway, deliveries == null || deliveries.isEmpty() ? List.of(gateway) : deliveries, management,
                    serverPid, sourceAddresses, tokenUrl != null ? Auth.devTokens(tokenUrl) : Auth.devIdentity());
        }

        private List<URI> all() {
            List<URI> all = new java.util.ArrayList<>(List.of(gateway));
            if (deliveries != null) {
                all.addAll(deliveries);
            }
            if (management != null) {
                all.add(management);
            }
            if (tokenUrl != null) {
                all.add(tokenUrl);
            }
            return all;
        }

        int run(Scenario scenario) throws Exception {
            Target target = target();
            System.out.println("pigeonhole-load " + scenario.name() + " against " + target);
            Report report = scenario.run(target);
            List<Path> files = ReportWriter.write(report, reportDir);
            System.out.print(ReportWriter.text(report));
            System.out.println("reports: " + files);
            return report.passed() ? 0 : 1;
        }
    }

    @Command(name = "steady", mixinStandardHelpOptions = true, description = "1:1 and group traffic at a paced rate")
    static final class SteadyCmd implements Callable<Integer> {
        @Mixin Common common = new Common();
        @Option(names = "--users", defaultValue = "50") int users;
        @Option(names = "--rate", defaultValue = "200", description = "messages per second") double rate;
        @Option(names = "--ramp", defaultValue = "5", description = "seconds to ramp up to the rate") double ramp;
        @Option(names = "--seconds", defaultValue = "30") double seconds;
        @Option(names = "--group-share", defaultValue = "0.1") double groupShare;
        @Option(names = "--group-size", defaultValue = "5") int groupSize;
        @Option(names = "--body-bytes", defaultValue = "200") int bodyBytes;
        @Option(names = "--window", defaultValue = "128") int window;
        @Option(names = "--connect-rate", defaultValue = "200") int connectRate;
        @Option(names = "--drain-seconds", defaultValue = "30") double drain;

        @Override
        public Integer call() throws Exception {
            return common.run(new Steady(new Steady.Spec(users, rate, ramp, seconds, groupShare, groupSize, bodyBytes, window,
                    connectRate, drain)));
        }
    }

    @Command(name = "backlog", mixinStandardHelpOptions = true, description = "S1: N offline recipients get M messages each, then drain")
    static final class BacklogCmd implements Callable<Integer> {
        @Mixin Common common = new Common();
        @Option(names = "--recipients", defaultValue = "1000") int recipients;
        @Option(names = "--per-recipient", defaultValue = "100") int perRecipient;
        @Option(names = "--senders", defaultValue = "100") int senders;
        @Option(names = "--body-bytes", defaultValue = "256") int bodyBytes;
        @Option(names = "--max-in-flight", defaultValue = "200", description = "unanswered sends per sender") int inFlight;
        @Option(names = "--window", defaultValue = "1024") int window;
        @Option(names = "--connect-rate", defaultValue = "0", description = "0: all at once") int connectRate;
        @Option(names = "--timeout-seconds", defaultValue = "300") double timeout;

        @Override
        public Integer call() throws Exception {
            return common.run(new Backlog(new Backlog.Spec(recipients, perRecipient, senders, bodyBytes, inFlight, window,
                    connectRate, timeout)));
        }
    }

    @Command(name = "storm", mixinStandardHelpOptions = true, description = "S3: reconnect storm after a fault")
    static final class StormCmd implements Callable<Integer> {
        @Mixin Common common = new Common();
        @Option(names = "--clients", defaultValue = "1000") int clients;
        @Option(names = "--senders", defaultValue = "10") int senders;
        @Option(names = "--sample-share", defaultValue = "0.1", description = "share of clients receiving messages") double share;
        @Option(names = "--rate", defaultValue = "100") double rate;
        @Option(names = "--body-bytes", defaultValue = "200") int bodyBytes;
        @Option(names = "--window", defaultValue = "128") int window;
        @Option(names = "--connect-rate", defaultValue = "500") int connectRate;
        @Option(names = "--settle-seconds", defaultValue = "5") double settle;
        @Option(names = "--recover-timeout-seconds", defaultValue = "120") double recover;
        @Option(names = "--after-seconds", defaultValue = "5") double after;
        @Option(names = "--backoff-min-ms", defaultValue = "500") long backoffMin;
        @Option(names = "--backoff-max-ms", defaultValue = "30000") long backoffMax;
        @Option(names = "--fault-command", description = "run through sh -c once the fleet is up, e.g. \"kill -9 1234\"") String faultCommand;
        @Option(names = "--fault", description = "'manual': wait for connections to drop (you cause the fault)") String fault;

        @Override
        public Integer call() throws Exception {
            if ((faultCommand == null) == (fault == null) || fault != null && !"manual".equals(fault)) {
                throw new CommandLine.ParameterException(new CommandLine(this), "give --fault-command CMD or --fault manual");
            }
            Runnable injector = faultCommand == null ? null : () -> runShell(faultCommand);
            return common.run(new Storm(new Storm.Spec(clients, senders, share, rate, bodyBytes, window, connectRate, settle,
                    recover, after, backoffMin, backoffMax), injector));
        }
    }

    @Command(name = "idle", mixinStandardHelpOptions = true, description = "S4: idle inbox connections in steps; server memory and CPU per connection")
    static final class IdleCmd implements Callable<Integer> {
        @Mixin Common common = new Common();
        @Option(names = "--steps", split = ",", defaultValue = "2000,6000,12000") Integer[] steps;
        @Option(names = "--connect-rate", defaultValue = "500") int connectRate;
        @Option(names = "--idle-seconds", defaultValue = "60") double idle;
        @Option(names = "--quiet-seconds", defaultValue = "5") double quiet;

        @Override
        public Integer call() throws Exception {
            return common.run(new Idle(new Idle.Spec(Arrays.asList(steps), connectRate, idle, quiet)));
        }
    }

    @Command(name = "churn", mixinStandardHelpOptions = true, description = "clients going offline and back while messages flow")
    static final class ChurnCmd implements Callable<Integer> {
        @Mixin Common common = new Common();
        @Option(names = "--clients", defaultValue = "200") int clients;
        @Option(names = "--senders", defaultValue = "10") int senders;
        @Option(names = "--rate", defaultValue = "100") double rate;
        @Option(names = "--seconds", defaultValue = "30") double seconds;
        @Option(names = "--churn-per-second", defaultValue = "10") double churn;
        @Option(names = "--offline-ms", defaultValue = "1000") long offline;
        @Option(names = "--body-bytes", defaultValue = "200") int bodyBytes;
        @Option(names = "--window", defaultValue = "128") int window;
        @Option(names = "--connect-rate", defaultValue = "500") int connectRate;
        @Option(names = "--drain-seconds", defaultValue = "30") double drain;

        @Override
        public Integer call() throws Exception {
            return common.run(new Churn(new Churn.Spec(clients, senders, rate, seconds, churn, offline, bodyBytes, window,
                    connectRate, drain)));
        }
    }

    /** Runs {@code command} through {@code sh -c}, output inherited; fails on a non-zero exit. */
    static void runShell(String command) {
        try {
            Process p = new ProcessBuilder("sh", "-c", command).inheritIO().start();
            int code = p.waitFor();
            if (code != 0) {
                throw new IllegalStateException("fault command exited with " + code + ": " + command);
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
