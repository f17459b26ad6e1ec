package dev.pigeonhole.standalone.bench;

import java.io.IOException;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.eclipse.paho.client.mqttv3.IMqttActionListener;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

/**
 * S1 on mosquitto, the MQTT peer: a broker of our own on a free loopback port (temporary config, in-memory
 * persistence), QoS 1 persistent sessions with Eclipse Paho. Each recipient connects once (clean session off),
 * subscribes QoS 1 to {@code in/<recipient>} and disconnects; senders publish QoS 1 (stored = PUBACK: mosquitto has
 * queued the message in the offline session); then all recipients reconnect at once and drain.
 */
final class MosquittoStoreThenDrain {
    private MosquittoStoreThenDrain() {}

    static String binary() {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
        dirs.add("/usr/sbin");
        return dirs.stream().map(d -> Path.of(d, "mosquitto")).filter(Files::isExecutable).map(Path::toString)
                .findFirst().orElse(null);
    }

    /** Runs the repetitions on one mosquitto instance; returns the table row. */
    static String run(String bin, List<String> notes) throws Exception {
        S1Plan plan = StoreThenDrainBench.PLAN;
        Path dir = Files.createTempDirectory("bench-mosquitto");
        int port = Bench.freePort();
        Path conf = dir.resolve("mosquitto.conf");
        Files.writeString(conf, String.join("\n", "listener " + port + " 127.0.0.1", "allow_anonymous true",
                "persistence false", "max_queued_messages " + Math.max(1000, 2 * plan.perRecipient),
                "max_inflight_messages 100", "log_type error", "log_type warning", "connection_messages false", ""));
        Path log = Bench.root().resolve("standalone/target/s1-bench-mosquitto.log");
        Process broker = new ProcessBuilder(bin, "-c", conf.toString()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        String version = version(bin);
        try {
            awaitPort(port, broker);
            notes.add(version + ": pid " + broker.pid() + ", config " + Files.readString(conf).replace("\n", "; ")
                    + "log " + log);
            System.out.println(version + ": pid " + broker.pid() + " on port " + port);
            List<S1Plan.Rep> reps = new ArrayList<>();
            for (int rep = 0; rep < StoreThenDrainBench.REPEATS; rep++) {
                S1Plan.Rep r = rep(plan, "tcp://127.0.0.1:" + port, broker.pid(), rep);
                System.out.println("  mosquitto #" + rep + ": " + r.detail());
                notes.add("mosquitto #" + rep + ": " + r.detail());
                reps.add(r);
                if (!broker.isAlive()) {
                    throw new IllegalStateException("mosquitto exited with " + broker.exitValue() + "; see " + log);
                }
            }
            return S1Plan.row(version + " (MQTT QoS 1)", reps, true);
        } finally {
            broker.destroy();
            if (!broker.waitFor(10, TimeUnit.SECONDS)) {
                broker.destroyForcibly().waitFor();
            }
            Bench.deleteTree(dir);
        }
    }

    private static S1Plan.Rep rep(S1Plan plan, String uri, long pid, int rep) throws Exception {
        String run = Long.toString(System.currentTimeMillis() % 100_000_000L, 36) + "r" + rep;
        ExecutorService pool = Executors.newFixedThreadPool(16);
        List<Future<?>> sessions = new ArrayList<>();
        for (int r = 0; r < plan.recipients; r++) {
            String id = "r-" + run + "-" + r;
            sessions.add(pool.submit(() -> {
                MqttAsyncClient c = new MqttAsyncClient(uri, id, new MemoryPersistence());
                c.connect(options(false, 10)).waitForCompletion(30_000);
                c.subscribe("in/" + id, 1).waitForCompletion(30_000);
                c.disconnect().waitForCompletion(30_000);
                c.close();
                return null;
            }));
        }
        for (Future<?> f : sessions) {
            f.get(60, TimeUnit.SECONDS);
        }
        Ledger ledger = new Ledger(plan.senders, plan.recipients, new int[0][]);
        List<MqttAsyncClient> senders = new ArrayList<>();
        for (int s = 0; s < plan.senders; s++) {
            MqttAsyncClient c = new MqttAsyncClient(uri, "s-" + run + "-" + s, new MemoryPersistence());
            c.connect(options(true, plan.inFlight)).waitForCompletion(30_000);
            senders.add(c);
        }
        AtomicLong lastAccepted = new AtomicLong();
        Cpu.Snapshot cpu0 = Cpu.Snapshot.take(pid);
        long firstSend = System.nanoTime();
        plan.sendAll(ledger, (s, n, r, t) -> {
            byte[] payload = new byte[StoreThenDrainBench.BODY_BYTES];
            ByteBuffer.wrap(payload).putInt(s).putInt(r).putLong(n);
            publish(senders.get(s), "in/r-" + run + "-" + r, payload, new IMqttActionListener() {
                @Override
                public void onSuccess(IMqttToken token) {
                    ledger.accepted(s, n);
                    lastAccepted.accumulateAndGet(System.nanoTime(), Math::max);
                }

                @Override
                public void onFailure(IMqttToken token, Throwable e) {
                    ledger.rejected(Ledger.id(s, n));
                }
            });
        });
        if (!S1Plan.awaitAnswers(ledger, plan.total, StoreThenDrainBench.TIMEOUT)) {
            throw new IllegalStateException("not every publish was acknowledged");
        }
        S1Plan.Drain drain = plan.new Drain();
        List<MqttAsyncClient> recipients = new ArrayList<>();
        for (int r = 0; r < plan.recipients; r++) {
            int rr = r;
            MqttAsyncClient c = new MqttAsyncClient(uri, "r-" + run + "-" + r, new MemoryPersistence());
            c.setCallback(new MqttCallback() {
                @Override
                public void connectionLost(Throwable cause) {
                    WireSocket.UNEXPECTED_CLOSES.incrementAndGet();
                }

                @Override
                public void messageArrived(String topic, MqttMessage message) {
                    ByteBuffer v = ByteBuffer.wrap(message.getPayload());
                    drain.received(ledger, rr, v.getInt(0), v.getLong(8), System.nanoTime());
                }

                @Override
                public void deliveryComplete(IMqttDeliveryToken token) {}
            });
            recipients.add(c);
        }
        long drainStart = System.nanoTime();
        for (MqttAsyncClient c : recipients) {
            c.connect(options(false, 10));
        }
        boolean complete = drain.await(StoreThenDrainBench.TIMEOUT);
        Cpu.Snapshot cpu1 = Cpu.Snapshot.take(pid);
        Thread.sleep(500); // duplicates would come now
        Ledger.Verdict verdict = ledger.verdict();
        List<MqttAsyncClient> all = new ArrayList<>(recipients);
        all.addAll(senders);
        List<Future<?>> closing = new ArrayList<>();
        for (MqttAsyncClient c : all) {
            closing.add(pool.submit(() -> {
                c.disconnect().waitForCompletion(10_000);
                c.close();
                return null;
            }));
        }
        for (Future<?> f : closing) {
            try {
                f.get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                // a client that did not connect
            }
        }
        pool.shutdown();
        if (!complete) {
            throw new IllegalStateException(drain.incomplete() + " MQTT recipients incomplete after the timeout");
        }
        return new S1Plan.Rep(firstSend, lastAccepted.get(), lastAccepted.get(), drainStart, drain.lastAt.get(),
                cpu1.since(cpu0).serverMicros(), plan.total, verdict, cpu1.since(cpu0).summary());
    }

    private static MqttConnectOptions options(boolean cleanSession, int maxInFlight) {
        MqttConnectOptions o = new MqttConnectOptions();
        o.setCleanSession(cleanSession);
        o.setMaxInflight(maxInFlight);
        o.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
        o.setAutomaticReconnect(false);
        o.setConnectionTimeout(30);
        o.setKeepAliveInterval(60);
        return o;
    }

    /** QoS 1 publish; waits briefly while Paho's own in-flight window is full. */
    private static void publish(MqttAsyncClient c, String topic, byte[] payload, IMqttActionListener done) {
        while (true) {
            try {
                c.publish(topic, payload, 1, false, null, done);
                return;
            } catch (MqttException e) {
                if (e.getReasonCode() != MqttException.REASON_CODE_MAX_INFLIGHT) {
                    throw new IllegalStateException("publish failed", e);
                }
                LockSupport.parkNanos(100_000);
            }
        }
    }

    private static void awaitPort(int port, Process broker) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (!broker.isAlive()) {
                throw new IllegalStateException("mosquitto exited with " + broker.exitValue());
            }
            try {
                new Socket("127.0.0.1", port).close();
                return;
            } catch (IOException e) {
                Thread.sleep(50);
            }
        }
        throw new IllegalStateException("mosquitto does not listen on " + port);
    }

    private static String version(String bin) {
        try {
            Process p = new ProcessBuilder(bin, "-h").redirectErrorStream(true).start();
            String first = new String(p.getInputStream().readAllBytes()).lines().findFirst().orElse("mosquitto");
            p.waitFor();
            return first.trim();
        } catch (Exception e) {
            return "mosquitto";
        }
    }
}
