package dev.pigeonhole.standalone;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Runs only the embedded broker (the dev Kafka image for container tests, and the nodes of a multi-broker cluster in
 * the integration tests); prints a line once it serves.
 */
@Command(name = "kafka", description = "Run a KRaft node (broker and controller) on loopback.")
public final class KafkaMain implements Callable<Integer> {
    @Option(names = "--port", defaultValue = "9092")
    int port;

    @Option(names = "--dir", defaultValue = "/tmp/kafka")
    Path dir;

    @Option(names = "--node-id", defaultValue = "1")
    int nodeId;

    @Option(names = "--controller-port", defaultValue = "0", description = "0: any free port (single node only)")
    int controllerPort;

    @Option(names = "--voters", description = "controller.quorum.voters, e.g. 1@127.0.0.1:9093,2@...; default: this node")
    String voters;

    @Option(names = "--cluster-id", description = "the same for every node of a cluster; default: random")
    String clusterId;

    @Option(names = "--replication", defaultValue = "1", description = "replication of internal topics (3: min ISR 2)")
    int replication;

    public static void main(String... args) {
        System.exit(new CommandLine(new KafkaMain()).execute(args));
    }

    @Override
    public Integer call() throws InterruptedException {
        int controller = controllerPort == 0 ? EmbeddedKafka.freePort() : controllerPort;
        EmbeddedKafka kafka = EmbeddedKafka.start(dir, new EmbeddedKafka.Node(nodeId, port, controller,
                voters != null ? voters : nodeId + "@127.0.0.1:" + controller, clusterId, replication));
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            kafka.close();
            stop.countDown();
        }));
        System.out.println("Pigeonhole dev Kafka ready on " + kafka.bootstrapServers());
        stop.await();
        return 0;
    }
}
