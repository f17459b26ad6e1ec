package dev.pigeonhole.standalone;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Runs only the embedded broker (the dev Kafka image for container tests); prints a line once it serves. */
@Command(name = "kafka", description = "Run a single-node KRaft broker on loopback.")
public final class KafkaMain implements Callable<Integer> {
    @Option(names = "--port", defaultValue = "9092")
    int port;

    @Option(names = "--dir", defaultValue = "/tmp/kafka")
    Path dir;

    public static void main(String... args) {
        System.exit(new CommandLine(new KafkaMain()).execute(args));
    }

    @Override
    public Integer call() throws InterruptedException {
        EmbeddedKafka kafka = EmbeddedKafka.start(dir, port);
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
