package dev.pigeonhole.standalone.bench;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A Kubernetes Service on loopback, as kube-proxy plays it: an L4 proxy that sends each new TCP connection to the next
 * of its current endpoints (round-robin). {@link #remove} takes an endpoint out as the endpoint controller does when a
 * pod starts terminating or is not ready: connections already open stay (the pod closes them itself, e.g. while it
 * drains); new ones go to the others. Clients know only the Service's address, as the SDK knows one URL.
 */
final class Balancer implements AutoCloseable {
    private final Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1));
    private final NetClient client = vertx.createNetClient(new NetClientOptions().setConnectTimeout(5_000));
    private final NetServer server;
    private final List<Integer> endpoints = new CopyOnWriteArrayList<>();
    private final AtomicInteger next = new AtomicInteger();
    /** Connections taken, per endpoint port at the time of the pick, and refused for want of an endpoint. */
    final AtomicLong connections = new AtomicLong();
    final AtomicLong refused = new AtomicLong();

    Balancer(List<Integer> ports) {
        endpoints.addAll(ports);
        server = vertx.createNetServer().connectHandler(this::accept);
        try {
            server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("balancer did not start", e);
        }
    }

    int port() {
        return server.actualPort();
    }

    String ws() {
        return "ws://127.0.0.1:" + port();
    }

    String http() {
        return "http://127.0.0.1:" + port();
    }

    void remove(int port) {
        endpoints.remove(Integer.valueOf(port));
    }

    void add(int port) {
        if (!endpoints.contains(port)) {
            endpoints.add(port);
        }
    }

    private void accept(NetSocket front) {
        front.pause();
        front.exceptionHandler(e -> front.close());
        List<Integer> now = List.copyOf(endpoints);
        if (now.isEmpty()) {
            refused.incrementAndGet();
            front.close();
            return;
        }
        int port = now.get(Math.floorMod(next.getAndIncrement(), now.size()));
        connections.incrementAndGet();
        client.connect(port, "127.0.0.1").onComplete(r -> {
            if (r.failed()) {
                front.close();
                return;
            }
            NetSocket back = r.result();
            back.exceptionHandler(e -> back.close());
            front.pipeTo(back).onComplete(done -> back.close());
            back.pipeTo(front).onComplete(done -> front.close());
        });
    }

    @Override
    public void close() {
        vertx.close();
    }
}
