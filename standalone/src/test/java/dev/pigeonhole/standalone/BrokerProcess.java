package dev.pigeonhole.standalone;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One Kafka node (KRaft broker + controller, {@code KafkaMain} from the packaged standalone app) in its own JVM, so a
 * test can kill it with SIGKILL and start it again on the same data directory.
 */
final class BrokerProcess implements AutoCloseable {
    private final String name;
    private final Path dir;
    private final List<String> args;
    private final Path log;
    final int port;
    private Process process;
    /** Where the log stood when the node was last started: its "ready" line comes after. */
    private long logStart;

    private BrokerProcess(String name, Path dir, int port, List<String> args) {
        this.name = name;
        this.dir = dir;
        this.port = port;
        this.args = args;
        this.log = ServiceProcess.ROOT.resolve("standalone/target/it-logs/" + name + ".log");
    }

    /** {@code count} nodes forming one cluster (replication 3 when there are three or more: min ISR 2). */
    /** The running broker's process id, or -1. */
    long pid() {
        return process != null && process.isAlive() ? process.pid() : -1;
    }

    static List<BrokerProcess> cluster(String name, Path root, int count) {
        List<int[]> ports = new ArrayList<>();
        StringBuilder voters = new StringBuilder();
        for (int i = 1; i <= count; i++) {
            int[] p = {EmbeddedKafka.freePort(), EmbeddedKafka.freePort()};
            ports.add(p);
            voters.append(i > 1 ? "," : "").append(i).append("@127.0.0.1:").append(p[1]);
        }
        String clusterId = org.apache.kafka.common.Uuid.randomUuid().toString();
        List<BrokerProcess> nodes = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            int[] p = ports.get(i - 1);
            nodes.add(new BrokerProcess(name + "-" + i, root.resolve("kafka-" + i), p[0], List.of(
                    "--node-id", Integer.toString(i), "--port", Integer.toString(p[0]),
                    "--controller-port", Integer.toString(p[1]), "--voters", voters.toString(),
                    "--cluster-id", clusterId, "--replication", Integer.toString(count >= 3 ? 3 : 1))));
        }
        return nodes;
    }

    static String bootstrap(List<BrokerProcess> nodes) {
        return String.join(",", nodes.stream().map(n -> "127.0.0.1:" + n.port).toList());
    }

    BrokerProcess start() {
        Path app = ServiceProcess.ROOT.resolve("standalone/target/quarkus-app");
        List<String> cmd = ServiceProcess.javaCommand();
        cmd.addAll(List.of("-cp", app.resolve("app") + "/*:" + app.resolve("lib/main") + "/*:" + app.resolve("lib/boot")
                + "/*", "dev.pigeonhole.standalone.KafkaMain", "--dir", dir.toString()));
        cmd.addAll(args);
        logStart = sizeOfLog();
        process = ServiceProcess.launch(cmd, log);
        return this;
    }

    /** Waits for the node's "ready" line (a node of a quorum waits for the quorum before it serves). */
    BrokerProcess awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited; log: " + log);
            }
            try {
                String text = Files.readString(log);
                if (text.substring((int) Math.min(logStart, text.length())).contains("Pigeonhole dev Kafka ready")) {
                    return this;
                }
            } catch (IOException e) {
                // not written yet
            }
            ServiceProcess.sleep(100);
        }
        throw new IllegalStateException(name + " not ready within " + timeout + "; log: " + log);
    }

    private long sizeOfLog() {
        try {
            return Files.exists(log) ? Files.readString(log).length() : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    /** SIGKILL. */
    void kill() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        kill();
    }

    @Override
    public String toString() {
        return name + "@" + port;
    }
}
