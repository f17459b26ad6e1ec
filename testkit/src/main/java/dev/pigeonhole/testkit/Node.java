package dev.pigeonhole.testkit;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.testcontainers.containers.ContainerLaunchException;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;

/**
 * One container of a {@link PigeonholeCluster}: its ports and the chaos operations. Killing leaves the container
 * (and its filesystem: the broker's log, the router's state) in place; {@link #restart} starts that same container
 * again, as a pod's container restarts with its volumes.
 */
final class Node {
    static final Duration STARTUP = Duration.ofMinutes(3);
    private static final String KAFKA_READY = "Pigeonhole dev Kafka ready";

    final Component component;
    final int index;
    final GenericContainer<?> container;
    /** The client port: Kafka's, or the service's HTTP and WebSocket port. */
    final int port;
    /** Health and metrics of a service; 0 for Kafka. */
    final int managementPort;
    /** How many times the container was started: a restarted broker is ready at its next "ready" line. */
    private int starts;

    Node(Component component, int index, GenericContainer<?> container, int port, int managementPort) {
        this.component = component;
        this.index = index;
        this.container = container;
        this.port = port;
        this.managementPort = managementPort;
        if (component == Component.KAFKA) {
            container.waitingFor(Wait.forLogMessage(".*" + KAFKA_READY + ".*", 1).withStartupTimeout(STARTUP));
        } else {
            container.waitingFor(new Loopback.HealthWait(managementPort).withStartupTimeout(STARTUP));
        }
    }

    String name() {
        return component.name().toLowerCase(java.util.Locale.ROOT) + "-" + index;
    }

    /** After the first start, which Testcontainers does (its wait strategy waits until ready). */
    void markStarted() {
        starts = 1;
    }

    void kill() {
        if (isRunning()) {
            container.getDockerClient().killContainerCmd(container.getContainerId()).exec();
        }
    }

    void pause() {
        container.getDockerClient().pauseContainerCmd(container.getContainerId()).exec();
    }

    void unpause() {
        container.getDockerClient().unpauseContainerCmd(container.getContainerId()).exec();
    }

    boolean isPaused() {
        return Boolean.TRUE.equals(container.getDockerClient().inspectContainerCmd(container.getContainerId()).exec()
                .getState().getPaused());
    }

    boolean isRunning() {
        return Boolean.TRUE.equals(container.getDockerClient().inspectContainerCmd(container.getContainerId()).exec()
                .getState().getRunning());
    }

    /** SIGKILL if it runs, then start the same container again and wait until it is ready. */
    void restart(Duration timeout) {
        kill();
        container.getDockerClient().startContainerCmd(container.getContainerId()).exec();
        starts++;
        awaitReady(timeout);
    }

    void awaitReady(Duration timeout) {
        if (component != Component.KAFKA) {
            Loopback.awaitReady(name(), managementPort, timeout, this::isRunning, container::getLogs);
            return;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        // the log of a restarted container holds the earlier runs too: wait for this run's line
        while (container.getLogs().split(KAFKA_READY, -1).length - 1 < starts) {
            if (!isRunning() || System.nanoTime() > deadline) {
                throw new ContainerLaunchException(name() + (isRunning() ? " not ready within " + timeout : " exited")
                        + "; its log ends:\n" + Loopback.tail(container.getLogs()));
            }
            try {
                TimeUnit.MILLISECONDS.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    /** Removes the container (Testcontainers' stop: kill and remove). */
    void remove() {
        container.stop();
    }
}
