package dev.pigeonhole.standalone;

/**
 * For benchmarks outside this package: a broker (in this JVM), one router and one delivery instance, each service in
 * its own JVM as a pod would run it ({@link ServiceProcess#javaCommand()}), so a delivery JVM can be measured alone.
 */
public final class SplitStack implements AutoCloseable {
    private final Cluster cluster;
    private final ServiceProcess router;
    private final ServiceProcess delivery;

    private SplitStack(Cluster cluster, ServiceProcess router, ServiceProcess delivery) {
        this.cluster = cluster;
        this.router = router;
        this.delivery = delivery;
    }

    public static SplitStack start(String name) {
        Cluster cluster = Cluster.start(name);
        try {
            ServiceProcess router = cluster.router(name + "-router");
            ServiceProcess delivery = cluster.delivery(name + "-delivery", router);
            Cluster.startAll(router, delivery);
            return new SplitStack(cluster, router, delivery);
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    public long deliveryPid() {
        return delivery.pid();
    }

    public int deliveryPort() {
        return delivery.port;
    }

    public int deliveryManagementPort() {
        return delivery.managementPort;
    }

    public long routerPid() {
        return router.pid();
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
