package dev.pigeonhole.standalone;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.QuarkusApplication;
import io.quarkus.runtime.annotations.QuarkusMain;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pigeonhole}: a real Kafka broker in this process plus the router, gateway and delivery on one HTTP port.
 * Data (Kafka logs, router state and uploaded blobs) lives in {@code --data-dir} and survives restarts. DEV mode: identities are
 * taken from query parameters.
 */
@QuarkusMain
@Command(name = "pigeonhole", mixinStandardHelpOptions = true, version = "Pigeonhole 0.1.0",
        description = "Runs Pigeonhole standalone: embedded Kafka + router + gateway + delivery.",
        subcommands = TokenCommand.class)
public class Standalone implements Callable<Integer> {

    @Option(names = "--port", defaultValue = "8080", description = "HTTP/WebSocket port (default ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--host", defaultValue = "127.0.0.1",
            description = "Interface to listen on (default ${DEFAULT-VALUE}; 0.0.0.0 exposes the dev identity to your network)")
    String host;

    @Option(names = "--management-port", defaultValue = "${sys:quarkus.management.port:-9000}",
            description = "Port of /q/health and /q/metrics (default ${DEFAULT-VALUE})")
    int managementPort;

    @Option(names = "--management-host", defaultValue = "127.0.0.1",
            description = "Interface of /q/health and /q/metrics (default ${DEFAULT-VALUE}, even with --host 0.0.0.0)")
    String managementHost;

    @Option(names = "--data-dir", defaultValue = "./data", description = "Where data is kept (default ${DEFAULT-VALUE})")
    Path dataDir;

    @Option(names = "--kafka-port", defaultValue = "0", description = "Port of the embedded Kafka broker (default: any free port)")
    int kafkaPort;

    @Option(names = "--dev-identity", defaultValue = "true", arity = "1",
            description = "Accept ?user=&device= with no proof (default ${DEFAULT-VALUE}); false: dev tokens only")
    boolean devIdentity;

    /** The broker logs through JUL until Quarkus configures logging; keep it to warnings. */
    private static final java.util.logging.Logger[] QUIET = {java.util.logging.Logger.getLogger("kafka"),
            java.util.logging.Logger.getLogger("org.apache.kafka"), java.util.logging.Logger.getLogger("state.change.logger")};

    public static void main(String... args) {
        System.exit(new CommandLine(new Standalone()).execute(args));
    }

    @Override
    public Integer call() {
        for (java.util.logging.Logger logger : QUIET) {
            logger.setLevel(java.util.logging.Level.WARNING);
        }
        Path data = dataDir.toAbsolutePath().normalize();
        EmbeddedKafka kafka = EmbeddedKafka.start(data.resolve("kafka"), kafkaPort);
        CountDownLatch stopped = new CountDownLatch(1);
        // On Ctrl-C / SIGTERM, Quarkus stops the services first; the broker goes last.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                stopped.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            kafka.close();
        }, "embedded-kafka-stop"));

        String local = "http://127.0.0.1:" + port;
        System.setProperty("quarkus.http.port", Integer.toString(port));
        System.setProperty("quarkus.http.host", host);
        System.setProperty("quarkus.management.port", Integer.toString(managementPort));
        System.setProperty("quarkus.management.host", managementHost);
        if (System.getProperty("pigeonhole.limits.connections-per-address") == null
                && System.getenv("PIGEONHOLE_LIMITS_CONNECTIONS_PER_ADDRESS") == null && ("127.0.0.1".equals(host) || "localhost".equals(host))) {
            // on loopback every client is 127.0.0.1: a per-address cap would only cap local load tests
            System.setProperty("pigeonhole.limits.connections-per-address", "0");
        }
        System.setProperty("kafka.bootstrap.servers", kafka.bootstrapServers());
        System.setProperty("pigeonhole.router.state-dir", data.resolve("streams").toString());
        System.setProperty("pigeonhole.router.advertised-host", "127.0.0.1");
        System.setProperty("pigeonhole.delivery.router-url", local);
        System.setProperty("pigeonhole.delivery.instance-id", "standalone");
        DevKeys keys = DevKeys.loadOrCreate(data);
        System.setProperty("pigeonhole.auth.dev-identity", Boolean.toString(devIdentity));
        System.setProperty("pigeonhole.auth.issuer", DevKeys.ISSUER);
        System.setProperty("pigeonhole.auth.public-key-location", keys.publicKeyPem().toString());
        System.setProperty("pigeonhole.auth.accept-dev-tokens", "true");
        if (System.getProperty("pigeonhole.auth.allowed-hosts") == null && System.getenv("PIGEONHOLE_AUTH_ALLOWED_HOSTS") == null
                && ("127.0.0.1".equals(host) || "localhost".equals(host))) {
            // pages of this server only (same origin): a foreign name pointed at 127.0.0.1 (DNS rebinding) is refused
            System.setProperty("pigeonhole.auth.allowed-hosts", "127.0.0.1,localhost");
        }
        if (System.getProperty("pigeonhole.internal.secret") == null) {
            // the internal read API shares the public port here: protect it with a secret of this run
            System.setProperty("pigeonhole.internal.secret", java.util.UUID.randomUUID().toString());
        }
        if (System.getProperty("pigeonhole.blobs.dir") == null && System.getenv("PIGEONHOLE_BLOBS_DIR") == null) {
            System.setProperty("pigeonhole.blobs.dir", data.resolve("blobs").toString()); // the fs store, by default
        }
        System.setProperty("pigeonhole.standalone.data-dir", data.toString());
        System.setProperty("pigeonhole.standalone.kafka", kafka.bootstrapServers());

        AtomicInteger exit = new AtomicInteger();
        Quarkus.run(Banner.class, (code, error) -> {
            exit.set(code);
            if (error != null) {
                error.printStackTrace();
            }
        });
        stopped.countDown();
        return exit.get();
    }

    /** Runs once everything started: prints where to connect, then waits for Ctrl-C / SIGTERM. */
    public static class Banner implements QuarkusApplication {
        @Override
        public int run(String... args) {
            String port = System.getProperty("quarkus.http.port");
            String host = System.getProperty("quarkus.http.host");
            String shown = "0.0.0.0".equals(host) ? "127.0.0.1" : host;
            String http = "http://" + shown + ":" + port;
            String ws = "ws://" + shown + ":" + port;
            System.out.println();
            System.out.println("Pigeonhole standalone is running. DEV mode: "
                    + ("true".equals(System.getProperty("pigeonhole.auth.dev-identity")) ? "?user=&device= or " : "")
                    + "dev tokens (never in production).");
            System.out.println("  chat:    " + http + "/   (web chat in your browser: pick a user)");
            System.out.println("  send:    " + ws + "/v1/send?user=alice&device=phone");
            System.out.println("  inbox:   " + ws + "/v1/inbox?user=bob&device=laptop&after=0");
            System.out.println("  http:    POST " + http + "/v1/messages?user=alice&device=phone");
            System.out.println("  groups:  POST " + http + "/v1/groups?user=alice&device=phone   devices: GET "
                    + http + "/v1/devices?user=bob&device=laptop");
            System.out.println("  shadows: GET  " + http + "/v1/things/thermostat/shadow?user=alice&device=phone");
            System.out.println("  tokens:  POST " + http + "/dev/tokens?user=alice&device=phone"
                    + "   (or ./pigeonhole token --user alice --device phone)");
            String managementHost = System.getProperty("quarkus.management.host");
            String management = "http://" + ("0.0.0.0".equals(managementHost) ? "127.0.0.1" : managementHost) + ":"
                    + System.getProperty("quarkus.management.port");
            System.out.println("  metrics: " + management + "/q/metrics   health: " + management + "/q/health");
            System.out.println("  kafka:   " + System.getProperty("pigeonhole.standalone.kafka")
                    + "   data: " + System.getProperty("pigeonhole.standalone.data-dir"));
            System.out.println("Press Ctrl-C to stop.");
            Quarkus.waitForExit();
            return 0;
        }
    }
}
