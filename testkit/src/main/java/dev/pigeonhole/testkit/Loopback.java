package dev.pigeonhole.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.testcontainers.containers.ContainerLaunchException;
import org.testcontainers.containers.wait.strategy.AbstractWaitStrategy;

/**
 * Ports and readiness on the loopback interface. Every container of the kit runs with host networking and listens
 * on 127.0.0.1 only, on ports picked here (free at the time they are picked: another process could take one before
 * the container binds it, which then fails to start and says so).
 */
final class Loopback {
    static final String HOST = "127.0.0.1";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private Loopback() {
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The HTTP status of {@code GET url}, or -1 when nothing answers within 2 seconds. */
    static int status(String url) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Polls {@code http://127.0.0.1:<managementPort>/q/health/ready} until it answers 200.
     *
     * @param running false once the container has exited: fail at once instead of waiting out the timeout
     * @param logs    the container's log, quoted when it fails
     */
    static void awaitReady(String name, int managementPort, Duration timeout, BooleanSupplier running,
                           Supplier<String> logs) {
        String url = "http://" + HOST + ":" + managementPort + "/q/health/ready";
        long deadline = System.nanoTime() + timeout.toNanos();
        while (status(url) != 200) {
            if (!running.getAsBoolean()) {
                throw new ContainerLaunchException(name + " exited before it was ready; its log ends:\n" + tail(logs.get()));
            }
            if (System.nanoTime() > deadline) {
                throw new ContainerLaunchException(name + " not ready (" + url + ") within " + timeout
                        + "; its log ends:\n" + tail(logs.get()));
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    static String tail(String log) {
        String[] lines = log.split("\n");
        return String.join("\n", java.util.Arrays.copyOfRange(lines, Math.max(0, lines.length - 40), lines.length));
    }

    /** Testcontainers' wait strategy for a Quarkus service: its readiness probe on the management port answers 200. */
    static final class HealthWait extends AbstractWaitStrategy {
        private final int managementPort;

        HealthWait(int managementPort) {
            this.managementPort = managementPort;
        }

        @Override
        protected void waitUntilReady() {
            awaitReady(waitStrategyTarget.getContainerInfo().getName(), managementPort, startupTimeout,
                    waitStrategyTarget::isRunning, waitStrategyTarget::getLogs);
        }
    }
}
