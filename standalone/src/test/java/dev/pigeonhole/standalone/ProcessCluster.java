package dev.pigeonhole.standalone;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;

/**
 * For benchmarks outside this package: the multi-process {@link Cluster} of the ITs (one broker JVM, each service
 * instance in its own JVM from its packaged jar) with handles to start, stop (SIGTERM), restart and watch single
 * instances, as a StatefulSet or Deployment does with pods.
 */
public final class ProcessCluster implements AutoCloseable {
    private final Cluster cluster;

    private ProcessCluster(Cluster cluster) {
        this.cluster = cluster;
    }

    /** One broker in its own JVM. */
    public static ProcessCluster start(String name) {
        return new ProcessCluster(Cluster.startWithBrokers(name, 1));
    }

    /** A router with its state directory under the cluster's root (kept across restarts) and the given settings. */
    public Instance router(String name, Map<String, String> settings) {
        return new Instance(cluster.router(name, settings));
    }

    /** A gateway accepting the dev identity, with the given settings on top. */
    public Instance gateway(String name, Map<String, String> settings) {
        Map<String, String> s = new java.util.TreeMap<>(Map.of("pigeonhole.auth.dev-identity", "true"));
        s.putAll(settings);
        return new Instance(cluster.gateway(name, s));
    }

    /** A delivery instance accepting the dev identity, reading through {@code routerUrl}. */
    public Instance delivery(String instanceId, String routerUrl, Map<String, String> settings) {
        Map<String, String> s = new java.util.TreeMap<>(Map.of("pigeonhole.auth.dev-identity", "true"));
        s.putAll(settings);
        return new Instance(cluster.delivery(instanceId, routerUrl, s));
    }

    /** Starts the instances in parallel and waits until all are ready. */
    public static void startAll(Instance... instances) {
        Cluster.startAll(Arrays.stream(instances).map(i -> i.process).toArray(ServiceProcess[]::new));
    }

    public long brokerPid() {
        return cluster.broker(1).pid();
    }

    public Path root() {
        return cluster.root();
    }

    @Override
    public void close() {
        cluster.close();
    }

    /** One service instance (a pod). */
    public static final class Instance {
        private final ServiceProcess process;

        private Instance(ServiceProcess process) {
            this.process = process;
        }

        public void start() {
            process.start();
        }

        /** SIGTERM, then waits for the exit (at most 30 s, then SIGKILL). */
        public void stop() {
            process.stop();
        }

        public void kill() {
            process.kill();
        }

        public void awaitReady(Duration timeout) {
            process.awaitReady(timeout);
        }

        /** {@code /q/health/ready} answers 200 now. */
        public boolean ready() {
            HttpResponse<String> r = process.managementGet("/q/health/ready");
            return r != null && r.statusCode() == 200;
        }

        public long pid() {
            return process.pid();
        }

        public int port() {
            return process.port;
        }

        public String ws() {
            return process.ws("");
        }

        public String http() {
            return process.http("");
        }

        /** One Prometheus sample of the management port; 0 when absent, NaN when the instance does not answer. */
        public double metric(String sample) {
            try {
                return process.metric(sample);
            } catch (RuntimeException e) {
                return Double.NaN;
            }
        }

        public long logLength() {
            return process.logLength();
        }

        public String logSince(long mark) {
            return process.logSince(mark);
        }

        @Override
        public String toString() {
            return process.toString();
        }
    }
}
