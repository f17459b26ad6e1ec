package dev.pigeonhole.standalone;

import java.util.ArrayList;
import java.util.List;

/**
 * For benchmarks outside this package: a broker, one router, optionally a gateway, and delivery instances, each in
 * its own JVM as a pod would run it ({@link ServiceProcess#javaCommand()}), so a delivery JVM can be measured alone or
 * killed, and the benchmark's JVM holds only the load generator (its collections never pause the broker).
 */
public final class SplitStack implements AutoCloseable {
    private final Cluster cluster;
    private final ServiceProcess router;
    private final ServiceProcess gateway;
    private final List<ServiceProcess> deliveries;

    private SplitStack(Cluster cluster, ServiceProcess router, ServiceProcess gateway, List<ServiceProcess> deliveries) {
        this.cluster = cluster;
        this.router = router;
        this.gateway = gateway;
        this.deliveries = deliveries;
    }

    /** A router and one delivery instance (no gateway). */
    public static SplitStack start(String name) {
        return start(name, 1, false);
    }

    public static SplitStack start(String name, int deliveryCount, boolean withGateway) {
        Cluster cluster = Cluster.startWithBrokers(name, 1);
        try {
            ServiceProcess router = cluster.router(name + "-router");
            ServiceProcess gateway = withGateway ? cluster.gateway(name + "-gateway") : null;
            List<ServiceProcess> deliveries = new ArrayList<>();
            for (int i = 0; i < deliveryCount; i++) {
                deliveries.add(cluster.delivery(name + "-delivery-" + i, router));
            }
            List<ServiceProcess> all = new ArrayList<>(deliveries);
            all.add(router);
            if (gateway != null) {
                all.add(gateway);
            }
            Cluster.startAll(all.toArray(ServiceProcess[]::new));
            return new SplitStack(cluster, router, gateway, deliveries);
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    public long deliveryPid() {
        return deliveries.get(0).pid();
    }

    public int deliveryPort() {
        return deliveries.get(0).port;
    }

    public int deliveryManagementPort() {
        return deliveries.get(0).managementPort;
    }

    /** {@code ws://127.0.0.1:port} of each delivery instance. */
    public List<String> deliveryUrls() {
        return deliveries.stream().map(d -> d.ws("")).toList();
    }

    public String gatewayUrl() {
        return gateway.ws("");
    }

    public long routerPid() {
        return router.pid();
    }

    /** Process ids by role: broker, router, gateway (if any), delivery-0, delivery-1, … (for CPU accounting). */
    public java.util.Map<String, Long> pids() {
        java.util.Map<String, Long> pids = new java.util.LinkedHashMap<>();
        pids.put("broker", cluster.broker(1).pid());
        pids.put("router", router.pid());
        if (gateway != null) {
            pids.put("gateway", gateway.pid());
        }
        for (int i = 0; i < deliveries.size(); i++) {
            pids.put("delivery-" + i, deliveries.get(i).pid());
        }
        return pids;
    }

    /** SIGKILL to delivery instance {@code i}: its sockets drop without a close frame. */
    public void killDelivery(int i) {
        deliveries.get(i).kill();
    }

    /** The JVM options every service JVM gets. */
    public static String serviceJvmOptions() {
        return String.join(" ", ServiceProcess.javaCommand().subList(1, ServiceProcess.javaCommand().size()));
    }

    @Override
    public void close() {
        cluster.close();
    }
}
