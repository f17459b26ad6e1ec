package dev.pigeonhole.standalone.bench;

import dev.pigeonhole.client.ClientOptions;
import dev.pigeonhole.client.ConnectionState;
import dev.pigeonhole.client.FileAttachment;
import dev.pigeonhole.client.IncomingMessage;
import dev.pigeonhole.client.Listener;
import dev.pigeonhole.client.Outgoing;
import dev.pigeonhole.client.PigeonholeClient;
import dev.pigeonhole.client.SendState;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * Media (issue 14): upload and download throughput of large files through the standalone mode, next to {@code curl}
 * doing the same transfers against the same server and store in one request each, and a plain {@code cp}; and the
 * memory both processes use while doing it, to show whether it grows with the file.
 *
 * <p>One standalone stack (its own JVM, data directory under {@code standalone/target/media-bench/}, the server's
 * default limits: only the client side differs between the paths). For each round and each size, interleaved (the
 * order of the SDK and the single-request curl alternates from round to round), every file a fresh random one (a blob the store already
 * holds would be hashed but not stored again):
 * <ul>
 *   <li><b>SDK send</b>: the Java SDK (in this JVM, with a data directory) {@code send(to, json, [file])} to a
 *   recipient that is offline, from the call until {@code accepted}: copy into the data directory with the hash
 *   and an fsync ({@code queued}), {@code POST /v1/uploads}, 512 KiB {@code PATCH}es until the blob ref is known,
 *   the message over the WebSocket. The upload phase alone is reported too.</li>
 *   <li><b>curl upload</b>: {@code curl} {@code POST /v1/uploads} (the SHA-256 computed before, not timed) and one
 *   {@code PATCH} with the whole file ({@code -T}, streamed, no {@code Expect: 100-continue}): the fewest requests
 *   the upload API allows. No message is sent.</li>
 *   <li><b>curl 512 KiB PATCHes</b>: the upload as the SDK makes it (POST, then a PATCH per 512 KiB), by one
 *   {@code curl} process on one keep-alive connection (the file split beforehand, not timed): what the chunking costs
 *   on the server, without the SDK.</li>
 *   <li><b>SDK download</b>: the recipient's client, once the message arrived, {@code download(ref, path)} (into
 *   {@code .part}, SHA-256 checked, moved into place).</li>
 *   <li><b>curl GET</b>: {@code curl -o file} of the same blob as the same recipient (no hash check).</li>
 *   <li><b>cp</b>: {@code cp} of the file on the same disk, and {@code cp} then {@code sync} of the copy.</li>
 * </ul>
 * While each transfer runs, both JVMs (the stack's, attached over JMX; this one, which runs the SDK and nothing else
 * meanwhile) are measured: bytes allocated on the heap, heap used (sampled every 20 ms, and the peak over the
 * transfer), collections, and RSS (the peak: {@code VmHWM} after resetting it through {@code /proc/PID/clear_refs}).
 *
 * <p>Run: {@code ./mvnw -B -Pbench-media -pl standalone -am verify -DskipTests [-Dbench.sizes=10,100 (MiB)
 * -Dbench.rounds=5 -Dbench.warmupRounds=2 -Dbench.stack.xmx=1g -Dbench.client.xmx=1g (this JVM) -Dbench.stack.opts=...]};
 * results and what they mean: docs/benchmarks.md, "Media".
 */
public final class MediaBench {
    private static final List<Integer> SIZES = Bench.intList("bench.sizes", "10,100");
    private static final int ROUNDS = Bench.intProp("bench.rounds", 5);
    private static final int WARMUP = Bench.intProp("bench.warmupRounds", 2);
    private static final String XMX = System.getProperty("bench.stack.xmx", "").isBlank() ? "1g"
            : System.getProperty("bench.stack.xmx").trim();
    private static final long MIB = 1024 * 1024;

    private final Path dir;
    private final Path files;
    private final StackProcess stack;
    private final Meter self;
    private final Meter server;
    /** Per size, per figure name: the values of the measured rounds. */
    private final Map<Integer, Map<String, List<Double>>> results = new LinkedHashMap<>();

    private MediaBench(Path dir, StackProcess stack, Meter self, Meter server) {
        this.dir = dir;
        this.files = dir.resolve("files");
        this.stack = stack;
        this.self = self;
        this.server = server;
    }

    public static void main(String[] args) throws Exception {
        String logging = quietJdkHttpClientLog();
        System.out.println(Bench.machineLine());
        System.out.println("date: " + Bench.date() + "; load average at start: " + loadAverage());
        System.out.println("command: " + Bench.command("bench-media"));
        System.out.println(logging);
        System.out.println("sizes (MiB): " + SIZES + ", rounds: " + ROUNDS + " (+" + WARMUP + " warm-up at "
                + SIZES.get(0) + " MiB, not reported); stack -Xmx" + XMX);
        Path dir = Bench.root().resolve("standalone/target/media-bench");
        if (Files.exists(dir)) {
            Bench.deleteTree(dir);
        }
        Files.createDirectories(dir.resolve("files"));
        Path jar = Bench.root().resolve("standalone/target/quarkus-app/quarkus-run.jar");
        String opts = ("-Xmx" + XMX + " " + System.getProperty("bench.stack.opts", "")).trim();
        long t = System.nanoTime();
        try (StackProcess stack = StackProcess.start("media", jar, "bench-media-stack", dir.resolve("data"), opts)) {
            System.out.printf("stack up in %.1f s (pid %d, %s, data dir %s)%n", (System.nanoTime() - t) / 1e9, stack.pid(),
                    opts, dir.resolve("data"));
            long pid = stack.pid();
            // Ctrl-C or a timeout kills this JVM without its finally blocks: stop the stack too
            Runtime.getRuntime().addShutdownHook(new Thread(() -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy)));
            try (Meter server = Meter.attach(stack.pid())) {
                MediaBench bench = new MediaBench(dir, stack, Meter.self(), server);
                for (int w = 1; w <= WARMUP; w++) {
                    bench.round("w" + w, SIZES.get(0), w % 2 == 0, false);
                }
                for (int r = 1; r <= ROUNDS; r++) {
                    for (int size : SIZES) {
                        bench.round("r" + r, size, r % 2 == 0, true);
                    }
                }
                bench.report();
            }
            System.out.println("load average at the end: " + loadAverage() + "; " + stack.logSummary());
        }
        Bench.deleteTree(dir);
        System.exit(0);
    }

    /**
     * The test classpath carries jboss-logmanager (Quarkus's), whose {@code System.LoggerFinder}, unconfigured, answers
     * that DEBUG is loggable: the JDK's HttpClient, which the SDK uses, then formats its internal debug log for every
     * read, write and frame (measured here: about half of this JVM's allocation during an SDK upload, and its CPU). An
     * app using the SDK has its own logging configured, and the CLI has no backend (JUL at INFO): this sets the root
     * logger to INFO so the SDK runs as it does there.
     */
    private static String quietJdkHttpClientLog() {
        System.Logger l = System.getLogger("jdk.internal.httpclient.debug");
        if (!l.isLoggable(System.Logger.Level.DEBUG)) {
            return "logging: the JDK HttpClient's debug log is off (" + l.getClass().getName() + ")";
        }
        try {
            Class<?> context = Class.forName("org.jboss.logmanager.LogContext");
            Object system = context.getMethod("getSystemLogContext").invoke(null);
            ((java.util.logging.Logger) context.getMethod("getLogger", String.class).invoke(system, ""))
                    .setLevel(java.util.logging.Level.INFO);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return "logging: WARNING the JDK HttpClient's debug log is on and could not be turned off: " + e;
        }
        return "logging: " + System.LoggerFinder.getLoggerFinder().getClass().getName() + " set to INFO; the JDK HttpClient's"
                + " debug log is " + (l.isLoggable(System.Logger.Level.DEBUG) ? "STILL ON (SDK figures inflated)" : "off");
    }

    // --- one round -----------------------------------------------------------------------------------------------

    private void round(String round, int sizeMiB, boolean curlFirst, boolean record) throws Exception {
        stack.checkAlive();
        String name = round + "-" + sizeMiB;
        long bytes = sizeMiB * MIB;
        Path sdkFile = files.resolve("sdk-" + name + ".bin");
        Path curlFile = files.resolve("curl-" + name + ".bin");
        String sdkSha = write(sdkFile, bytes);
        String curlSha = write(curlFile, bytes);
        Map<String, Double> f = new LinkedHashMap<>();
        Map<String, Mem[]> mem = new LinkedHashMap<>();

        // cp: the floor, on the same disk
        Path copy = files.resolve("cp-" + name + ".bin");
        f.put("cp", mibs(bytes, run(List.of("cp", sdkFile.toString(), copy.toString()))));
        Files.delete(copy);
        f.put("cp+sync", mibs(bytes, run(List.of("sh", "-c", "cp \"$0\" \"$1\" && sync \"$1\"", sdkFile.toString(),
                copy.toString()))));
        Files.delete(copy);

        String sender = "alice-" + name;
        String recipient = "bob-" + name;
        // uploads, in alternating order; the chunked curl upload last (its file, split, is prepared untimed)
        Path curlChunked = files.resolve("curl-chunked-" + name + ".bin");
        String chunkedSha = write(curlChunked, bytes);
        for (int i = 0; i < 3; i++) {
            if (i == 2) {
                List<Path> parts = split(curlChunked, CHUNK);
                Meter.Window w = Meter.window(self, server);
                double s = curlChunkedUpload("dave-" + name, parts, bytes, chunkedSha);
                mem.put("curl 512K", w.stop());
                f.put("curl 512 KiB PATCHes", mibs(bytes, s));
                for (Path part : parts) {
                    Files.delete(part);
                }
                Files.delete(curlChunked);
            } else if ((i == 0) == curlFirst) {
                Meter.Window w = Meter.window(self, server);
                double s = curlUpload("carol-" + name, curlFile, bytes, curlSha);
                mem.put("curl upload", w.stop());
                f.put("curl upload", mibs(bytes, s));
            } else {
                Mem[][] m = new Mem[1][];
                double[] s = sdkSend(sender, recipient, sdkFile, m);
                mem.put("SDK send", m[0]);
                f.put("SDK send", mibs(bytes, s[0]));
                f.put("SDK upload phase", mibs(bytes, s[2]));
                f.put("SDK copy+hash s", s[1]);
                f.put("SDK upload s", s[2]);
                f.put("SDK send rest s", s[3]);
            }
        }
        // the recipient comes online, gets the message, downloads
        Path got = files.resolve("got-" + name + ".bin");
        CompletableFuture<IncomingMessage> arrived = new CompletableFuture<>();
        try (PigeonholeClient bob = client(recipient, "laptop", new Listener() {
            @Override
            public void onMessage(IncomingMessage message) {
                arrived.complete(message);
            }
        })) {
            IncomingMessage m = arrived.get(60, TimeUnit.SECONDS);
            String ref = m.attachments().get(0).ref();
            if (!ref.equals("sha256:" + sdkSha) || m.attachments().get(0).size() != bytes) {
                throw new IllegalStateException("the message carries " + m.attachments() + ", expected sha256:" + sdkSha);
            }
            for (int i = 0; i < 2; i++) {
                if ((i == 0) == curlFirst) {
                    Meter.Window w = Meter.window(self, server);
                    double s = curlGet(recipient, ref, got, bytes);
                    mem.put("curl GET", w.stop());
                    f.put("curl GET", mibs(bytes, s));
                    if (!sha256(got).equals(sdkSha)) {
                        throw new IllegalStateException("curl GET: wrong bytes");
                    }
                } else {
                    Meter.Window w = Meter.window(self, server);
                    long t0 = System.nanoTime();
                    bob.download(ref, got).get(300, TimeUnit.SECONDS);
                    double s = (System.nanoTime() - t0) / 1e9;
                    mem.put("SDK download", w.stop());
                    f.put("SDK download", mibs(bytes, s));
                    if (Files.size(got) != bytes) {
                        throw new IllegalStateException("SDK download: " + Files.size(got) + " bytes");
                    }
                }
                Files.delete(got);
            }
        }
        Files.delete(sdkFile);
        Files.delete(curlFile);

        System.out.printf("%-4s %4d MiB %s: SDK send %.0f MiB/s (copy+hash %.2f s, upload %.2f s = %.0f MiB/s, then %.2f s"
                        + " to accepted), curl upload %.0f, curl 512 KiB PATCHes %.0f, SDK download %.0f, curl GET %.0f,"
                        + " cp %.0f, cp+sync %.0f MiB/s%n",
                round, sizeMiB, record ? "" : "(warm-up)", f.get("SDK send"), f.get("SDK copy+hash s"), f.get("SDK upload s"),
                f.get("SDK upload phase"), f.get("SDK send rest s"), f.get("curl upload"), f.get("curl 512 KiB PATCHes"), f.get("SDK download"),
                f.get("curl GET"), f.get("cp"), f.get("cp+sync"));
        mem.forEach((what, m) -> System.out.printf("       %-12s stack: %s | SDK JVM: %s%n", what, m[1].line(bytes),
                m[0].line(bytes)));
        if (record) {
            Map<String, List<Double>> into = results.computeIfAbsent(sizeMiB, k -> new LinkedHashMap<>());
            f.forEach((k, v) -> into.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
            mem.forEach((what, m) -> {
                for (int p = 0; p < 2; p++) {
                    String who = (p == 0 ? "SDK JVM" : "stack") + "|" + what + "|";
                    into.computeIfAbsent(who + "alloc", x -> new ArrayList<>()).add(m[p].alloc / (double) MIB);
                    into.computeIfAbsent(who + "heapPeak", x -> new ArrayList<>()).add(m[p].heapPeak / (double) MIB);
                    into.computeIfAbsent(who + "heapGrowth", x -> new ArrayList<>())
                            .add((m[p].heapPeak - m[p].heapBefore) / (double) MIB);
                    into.computeIfAbsent(who + "rssPeak", x -> new ArrayList<>()).add(m[p].rssPeak / (double) MIB);
                    into.computeIfAbsent(who + "rssGrowth", x -> new ArrayList<>())
                            .add((m[p].rssPeak - m[p].rssBefore) / (double) MIB);
                    into.computeIfAbsent(who + "gcs", x -> new ArrayList<>()).add((double) m[p].gcs);
                }
            });
        }
    }

    /**
     * The SDK's send from a client that is online (its start is neither timed nor measured): seconds {total, copy+hash
     * until queued, upload (PATCHes until the blob ref), blob ref → accepted}; {@code mem[0]} gets the memory figures.
     */
    private double[] sdkSend(String user, String to, Path file, Mem[][] mem) throws Exception {
        java.util.concurrent.atomic.AtomicLong uploadStart = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicLong uploadEnd = new java.util.concurrent.atomic.AtomicLong();
        try (PigeonholeClient alice = client(user, "phone", new Listener() {
            @Override
            public void onUploadProgress(String messageId, String f, long sent, long total) {
                long now = System.nanoTime();
                if (sent == 0) {
                    uploadStart.compareAndSet(0, now);
                }
                if (sent == total) {
                    uploadEnd.compareAndSet(0, now);
                }
            }
        })) {
            awaitOnline(alice);
            Meter.Window w = Meter.window(self, server);
            long t0 = System.nanoTime();
            Outgoing o = alice.send(to, "{\"text\":\"a file\"}", List.of(FileAttachment.of(file, "application/octet-stream")));
            o.queued().toCompletableFuture().get(300, TimeUnit.SECONDS);
            long t1 = System.nanoTime();
            o.settled().toCompletableFuture().get(300, TimeUnit.SECONDS);
            long t3 = System.nanoTime();
            mem[0] = w.stop();
            if (o.state() != SendState.ACCEPTED) {
                throw new IllegalStateException("SDK send " + o.state() + ": " + o.rejectionCode() + " " + o.rejectionMessage());
            }
            // the progress callbacks run on the listener's thread: they happened before accepted
            long start = uploadStart.get() == 0 ? t1 : uploadStart.get();
            long end = uploadEnd.get() == 0 ? t3 : uploadEnd.get();
            return new double[] {(t3 - t0) / 1e9, (t1 - t0) / 1e9, (end - start) / 1e9, (t3 - end) / 1e9};
        }
    }

    private PigeonholeClient client(String user, String device, Listener listener) throws IOException {
        Path data = dir.resolve("clients").resolve(user + "-" + device);
        Files.createDirectories(data);
        return PigeonholeClient.start(ClientOptions.builder(URI.create(stack.ws()), user, device).dataDir(data).build(),
                listener);
    }

    private static void awaitOnline(PigeonholeClient client) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (client.state() != ConnectionState.ONLINE) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("client not online after 30 s: " + client.state());
            }
            Thread.sleep(20);
        }
    }

    /** curl: POST /v1/uploads, then one PATCH with the whole file; seconds for both. */
    private double curlUpload(String user, Path file, long bytes, String sha) throws Exception {
        String q = "?user=" + user + "&device=phone";
        long t0 = System.nanoTime();
        String created = output(List.of("curl", "-sS", "-o", "/dev/null", "-D", "-", "-X", "POST",
                "-H", "Tus-Resumable: 1.0.0", "-H", "Upload-Length: " + bytes,
                "-H", "Upload-Metadata: sha256 " + Base64.getEncoder().encodeToString(sha.getBytes()),
                stack.http() + "/v1/uploads" + q));
        String location = header(created, "Location");
        String patched = output(List.of("curl", "-sS", "-o", "/dev/null", "-D", "-", "-X", "PATCH", "-T", file.toString(),
                "-H", "Tus-Resumable: 1.0.0", "-H", "Content-Type: application/offset+octet-stream",
                "-H", "Upload-Offset: 0", "-H", "Expect:", stack.http() + location + q));
        double s = (System.nanoTime() - t0) / 1e9;
        if (!patched.startsWith("HTTP/1.1 204") || !("sha256:" + sha).equals(header(patched, "Pigeonhole-Blob"))) {
            throw new IllegalStateException("curl PATCH: " + patched);
        }
        return s;
    }

    /** The SDK's chunk size ({@code Uploader.CHUNK}). */
    private static final int CHUNK = 512 * 1024;

    /**
     * curl, one process and one keep-alive connection: POST /v1/uploads, then a PATCH per {@code parts} file (the
     * SDK's chunk size); seconds.
     */
    private double curlChunkedUpload(String user, List<Path> parts, long bytes, String sha) throws Exception {
        String q = "?user=" + user + "&device=phone";
        Path config = files.resolve(user + ".curl");
        long t0 = System.nanoTime();
        String created = output(List.of("curl", "-sS", "-o", "/dev/null", "-D", "-", "-X", "POST",
                "-H", "Tus-Resumable: 1.0.0", "-H", "Upload-Length: " + bytes,
                "-H", "Upload-Metadata: sha256 " + Base64.getEncoder().encodeToString(sha.getBytes()),
                stack.http() + "/v1/uploads" + q));
        String url = stack.http() + header(created, "Location") + q;
        StringBuilder cfg = new StringBuilder();
        long offset = 0;
        for (Path part : parts) {
            if (offset > 0) {
                cfg.append("next\n");
            }
            cfg.append("url = \"").append(url).append("\"\nrequest = \"PATCH\"\nupload-file = \"").append(part)
                    .append("\"\nheader = \"Tus-Resumable: 1.0.0\"\nheader = \"Content-Type: application/offset+octet-stream\"\n")
                    .append("header = \"Upload-Offset: ").append(offset).append("\"\nheader = \"Expect:\"\n")
                    .append("output = \"/dev/null\"\nwrite-out = \"%{http_code}\\n\"\n");
            offset += Files.size(part);
        }
        Files.writeString(config, cfg);
        String codes = output(List.of("curl", "-sS", "-K", config.toString()));
        double s = (System.nanoTime() - t0) / 1e9;
        Files.delete(config);
        if (!codes.strip().lines().allMatch("204"::equals) || codes.strip().lines().count() != parts.size()) {
            throw new IllegalStateException("curl PATCHes: " + codes);
        }
        return s;
    }

    /** {@code file} split into files of {@code size} bytes. */
    private static List<Path> split(Path file, int size) throws IOException {
        List<Path> parts = new ArrayList<>();
        byte[] buf = new byte[size];
        try (var in = Files.newInputStream(file)) {
            for (int n; (n = in.readNBytes(buf, 0, size)) > 0; ) {
                Path part = file.resolveSibling(file.getFileName() + "." + parts.size());
                Files.write(part, java.util.Arrays.copyOf(buf, n));
                parts.add(part);
            }
        }
        return parts;
    }

    /** curl: GET /v1/blobs/{ref} into a file; seconds. */
    private double curlGet(String user, String ref, Path out, long bytes) throws Exception {
        long t0 = System.nanoTime();
        String status = output(List.of("curl", "-sS", "-o", out.toString(), "-w", "%{http_code} %{size_download}",
                stack.http() + "/v1/blobs/" + ref + "?user=" + user + "&device=laptop"));
        double s = (System.nanoTime() - t0) / 1e9;
        if (!status.equals("200 " + bytes)) {
            throw new IllegalStateException("curl GET: " + status);
        }
        return s;
    }

    private static String header(String response, String name) {
        for (String line : response.split("\r?\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                return line.substring(colon + 1).trim();
            }
        }
        throw new IllegalStateException("no " + name + " in " + response);
    }

    private static double run(List<String> cmd) throws Exception {
        long t0 = System.nanoTime();
        output(cmd);
        return (System.nanoTime() - t0) / 1e9;
    }

    private static String output(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IllegalStateException(cmd + " exited with " + p.exitValue() + ": " + out);
        }
        return out;
    }

    /** Writes {@code bytes} random bytes; their SHA-256 (hex). */
    private static String write(Path file, long bytes) throws IOException {
        MessageDigest sha = sha();
        SplittableRandom random = new SplittableRandom();
        byte[] buf = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long left = bytes; left > 0; left -= buf.length) {
                for (int i = 0; i < buf.length; i += 8) {
                    long v = random.nextLong();
                    for (int b = 0; b < 8; b++) {
                        buf[i + b] = (byte) (v >>> (8 * b));
                    }
                }
                int n = (int) Math.min(buf.length, left);
                sha.update(buf, 0, n);
                out.write(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static String sha256(Path file) throws IOException {
        MessageDigest sha = sha();
        byte[] buf = new byte[1 << 20];
        try (var in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) {
                sha.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static MessageDigest sha() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static double mibs(long bytes, double seconds) {
        return bytes / (double) MIB / seconds;
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }

    // --- the report ----------------------------------------------------------------------------------------------

    private static final List<String> THROUGHPUT = List.of("SDK send", "SDK upload phase", "curl upload",
            "curl 512 KiB PATCHes", "SDK download", "curl GET", "cp", "cp+sync");
    private static final List<String> TRANSFERS = List.of("SDK send", "curl upload", "curl 512K", "SDK download", "curl GET");

    private void report() {
        System.out.println();
        System.out.println("== Throughput, MiB/s: p50 (min-max) of " + ROUNDS + " rounds; 1 MiB = 1,048,576 bytes ==");
        StringBuilder head = new StringBuilder("| size |");
        THROUGHPUT.forEach(t -> head.append(' ').append(t).append(" |"));
        head.append(" SDK send / curl upload | SDK upload phase / curl upload | SDK upload phase / curl 512 KiB PATCHes"
                + " | SDK download / curl GET |");
        System.out.println(head);
        System.out.println("|---".repeat(THROUGHPUT.size() + 5) + "|");
        results.forEach((size, r) -> {
            StringBuilder row = new StringBuilder("| " + size + " MiB |");
            THROUGHPUT.forEach(t -> row.append(' ').append(range(r.get(t), "%.0f")).append(" |"));
            row.append(String.format(" %.2f | %.2f | %.2f | %.2f |", p50(r.get("SDK send")) / p50(r.get("curl upload")),
                    p50(r.get("SDK upload phase")) / p50(r.get("curl upload")),
                    p50(r.get("SDK upload phase")) / p50(r.get("curl 512 KiB PATCHes")),
                    p50(r.get("SDK download")) / p50(r.get("curl GET"))));
            System.out.println(row);
        });
        System.out.println();
        System.out.println("SDK send broken down, seconds p50: copy into the data directory with hash and fsync (until queued)"
                + " / upload (POST, PATCHes until the blob ref) / blob ref until accepted");
        results.forEach((size, r) -> System.out.printf("  %d MiB: %.2f / %.2f / %.3f s%n", size, p50(r.get("SDK copy+hash s")),
                p50(r.get("SDK upload s")), p50(r.get("SDK send rest s"))));
        System.out.println();
        System.out.println("== Memory during each transfer: p50 of " + ROUNDS + " rounds (max) ==");
        System.out.println("alloc = bytes allocated on the heap by the process during the transfer; heap peak = highest heap"
                + " used sampled every 20 ms (growth = over the value at the start); RSS peak = VmHWM (reset at the start)");
        System.out.println("| process | transfer | size | alloc MiB | alloc / file | heap peak MiB | heap growth MiB | RSS peak MiB | RSS growth MiB | GCs |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|");
        for (String who : List.of("stack", "SDK JVM")) {
            for (String what : TRANSFERS) {
                if (who.equals("SDK JVM") && what.startsWith("curl")) {
                    continue; // the SDK's JVM only waits for curl: nothing to see
                }
                results.forEach((size, r) -> {
                    String k = who + "|" + what + "|";
                    System.out.printf("| %s | %s | %d MiB | %s | %.2f | %s | %s | %s | %s | %s |%n", who, what, size,
                            pm(r.get(k + "alloc")), p50(r.get(k + "alloc")) / size, pm(r.get(k + "heapPeak")),
                            pm(r.get(k + "heapGrowth")), pm(r.get(k + "rssPeak")), pm(r.get(k + "rssGrowth")),
                            pm(r.get(k + "gcs")));
                });
            }
        }
    }

    private static double p50(List<Double> v) {
        return Bench.median(v.stream().mapToDouble(Double::doubleValue).toArray());
    }

    private static String range(List<Double> v, String format) {
        ToDoubleFunction<Double> id = Double::doubleValue;
        return String.format(format + " (" + format + "-" + format + ")", p50(v), v.stream().mapToDouble(id).min().orElse(0),
                v.stream().mapToDouble(id).max().orElse(0));
    }

    private static String pm(List<Double> v) {
        return String.format("%.0f (%.0f)", p50(v), v.stream().mapToDouble(Double::doubleValue).max().orElse(0));
    }

    // --- memory ------------------------------------------------------------------------------------------------------

    /** One process's figures over a transfer. */
    record Mem(long alloc, long heapBefore, long heapPeak, long rssBefore, long rssPeak, long gcs) {
        String line(long fileBytes) {
            return String.format("alloc %.0f MiB (%.2f × file), heap %.0f → peak %.0f MiB, RSS %.0f → peak %.0f MiB, %d GCs",
                    alloc / (double) MIB, alloc / (double) fileBytes, heapBefore / (double) MIB, heapPeak / (double) MIB,
                    rssBefore / (double) MIB, rssPeak / (double) MIB, gcs);
        }
    }

    /** A JVM's memory figures: this one's through its MXBeans, the stack's over JMX (attach API). */
    static final class Meter implements AutoCloseable {
        private final long pid;
        private final MemoryMXBean memory;
        private final com.sun.management.ThreadMXBean threads;
        private final List<GarbageCollectorMXBean> gcs;
        private final JMXConnector connector;

        private Meter(long pid, MemoryMXBean memory, com.sun.management.ThreadMXBean threads,
                      List<GarbageCollectorMXBean> gcs, JMXConnector connector) {
            this.pid = pid;
            this.memory = memory;
            this.threads = threads;
            this.gcs = gcs;
            this.connector = connector;
        }

        static Meter self() {
            return new Meter(ProcessHandle.current().pid(), ManagementFactory.getMemoryMXBean(),
                    (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean(),
                    ManagementFactory.getGarbageCollectorMXBeans(), null);
        }

        static Meter attach(long pid) throws Exception {
            com.sun.tools.attach.VirtualMachine vm = com.sun.tools.attach.VirtualMachine.attach(Long.toString(pid));
            String address;
            try {
                address = vm.startLocalManagementAgent();
            } finally {
                vm.detach();
            }
            JMXConnector c = JMXConnectorFactory.connect(new JMXServiceURL(address));
            MBeanServerConnection s = c.getMBeanServerConnection();
            List<GarbageCollectorMXBean> gcs = new ArrayList<>();
            for (ObjectName n : s.queryNames(new ObjectName(ManagementFactory.GARBAGE_COLLECTOR_MXBEAN_DOMAIN_TYPE + ",*"), null)) {
                gcs.add(ManagementFactory.newPlatformMXBeanProxy(s, n.toString(), GarbageCollectorMXBean.class));
            }
            return new Meter(pid, ManagementFactory.newPlatformMXBeanProxy(s, ManagementFactory.MEMORY_MXBEAN_NAME, MemoryMXBean.class),
                    ManagementFactory.newPlatformMXBeanProxy(s, ManagementFactory.THREAD_MXBEAN_NAME,
                            com.sun.management.ThreadMXBean.class), gcs, c);
        }

        long heapUsed() {
            return memory.getHeapMemoryUsage().getUsed();
        }

        long allocated() {
            return threads.getTotalThreadAllocatedBytes();
        }

        long collections() {
            return gcs.stream().mapToLong(GarbageCollectorMXBean::getCollectionCount).sum();
        }

        long rss(String field) {
            try {
                for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                    if (l.startsWith(field + ":")) {
                        return Long.parseLong(l.replaceAll("\\D", "")) * 1024;
                    }
                }
            } catch (IOException | RuntimeException e) {
                // not Linux
            }
            return -1;
        }

        /** Resets VmHWM to the current RSS (Linux: 5 to clear_refs); false if not possible. */
        boolean resetPeakRss() {
            try {
                Files.writeString(Path.of("/proc/" + pid + "/clear_refs"), "5");
                return true;
            } catch (IOException | RuntimeException e) {
                return false;
            }
        }

        @Override
        public void close() throws IOException {
            if (connector != null) {
                connector.close();
            }
        }

        /** Measures both processes from now until {@link Window#stop()}. */
        static Window window(Meter... meters) {
            return new Window(meters);
        }

        static final class Window {
            private final Meter[] meters;
            private final long[] alloc0;
            private final long[] heap0;
            private final long[] heapMax;
            private final long[] rss0;
            private final long[] rssMax;
            private final long[] gc0;
            private final boolean[] hwm;
            private volatile boolean running = true;
            private final Thread sampler;

            Window(Meter[] meters) {
                this.meters = meters;
                int n = meters.length;
                alloc0 = new long[n];
                heap0 = new long[n];
                heapMax = new long[n];
                rss0 = new long[n];
                rssMax = new long[n];
                gc0 = new long[n];
                hwm = new boolean[n];
                for (int i = 0; i < n; i++) {
                    hwm[i] = meters[i].resetPeakRss();
                    rss0[i] = meters[i].rss("VmRSS");
                    rssMax[i] = rss0[i];
                    heap0[i] = meters[i].heapUsed();
                    heapMax[i] = heap0[i];
                    gc0[i] = meters[i].collections();
                    alloc0[i] = meters[i].allocated();
                }
                sampler = new Thread(() -> {
                    while (running) {
                        sample();
                        try {
                            Thread.sleep(20);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }, "media-bench-sampler");
                sampler.setDaemon(true);
                sampler.start();
            }

            private synchronized void sample() {
                for (int i = 0; i < meters.length; i++) {
                    try {
                        heapMax[i] = Math.max(heapMax[i], meters[i].heapUsed());
                        rssMax[i] = Math.max(rssMax[i], meters[i].rss("VmRSS"));
                    } catch (RuntimeException e) {
                        // the stack went away: checkAlive reports it
                    }
                }
            }

            Mem[] stop() throws InterruptedException {
                running = false;
                sampler.join();
                sample();
                Mem[] out = new Mem[meters.length];
                for (int i = 0; i < meters.length; i++) {
                    Meter m = meters[i];
                    long peak = hwm[i] ? Math.max(rssMax[i], m.rss("VmHWM")) : rssMax[i];
                    out[i] = new Mem(m.allocated() - alloc0[i], heap0[i], heapMax[i], rss0[i], peak,
                            m.collections() - gc0[i]);
                }
                return out;
            }
        }
    }
}
