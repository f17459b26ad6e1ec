package dev.pigeonhole.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pigeonhole.client.Attachment;
import dev.pigeonhole.client.ClientOptions;
import dev.pigeonhole.client.IncomingMessage;
import dev.pigeonhole.client.Listener;
import dev.pigeonhole.client.PigeonholeClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 14's media test, end to end with the real SDK in a real client process: {@code pigeonhole-cli send --file}
 * uploads a 20 MB file to the standalone through a network ({@link FaultProxy}) that cuts every connection several
 * times mid-upload; the process is killed with {@code kill -9} (by its pid) mid-upload; {@code flush} with the same
 * data directory resumes the upload from the server's offset and sends the message. Fewer than 1.5 × the file's
 * bytes cross the network, and the recipient, offline all along, receives the message once and downloads the file
 * with the right SHA-256.
 *
 * <p>No timing decides anything: the proxy cuts and goes half-open at byte counts, from its own thread, and the test
 * waits for states with generous deadlines.
 */
class MediaResumeIT {
    private static final int SIZE = 20_000_000;
    private static final Duration WAIT = Duration.ofSeconds(120);
    /** Where the network is cut, in bytes from the client: three before the kill, two after the restart. */
    private static final long[] CUTS = {2_500_000, 6_000_000, 9_000_000, 15_000_000, 18_000_000};
    /**
     * Where the network goes half-open (the PATCH in flight hangs) and the client is killed: late enough that an
     * upload started over would cross 1.5 × the file's size.
     */
    private static final long KILL_AT = 12_000_000;
    /** What one interruption may cost: the chunk in flight (512 KiB) and what sat in buffers. */
    private static final long PER_CUT = 1_000_000;

    @RegisterExtension
    static final StandaloneExtension STACK = new StandaloneExtension("media-resume-it");

    @Test
    void aFileUploadedThroughCutsAndAKillResumesAndTheOfflineRecipientDownloadsIt() throws Exception {
        Path dir = Files.createDirectories(STACK.dir("media-resume"));
        byte[] bytes = new byte[SIZE];
        new Random(1414).nextBytes(bytes);
        Path photo = Files.write(dir.resolve("photo.jpg"), bytes);
        String ref = "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        Path alice = dir.resolve("alice");

        try (FaultProxy proxy = new FaultProxy(STACK.process().port)) {
            proxy.dropAt(CUTS);
            proxy.blackholeAt(KILL_AT);

            // 1. send --file: copies the file, queues the message, uploads through the cuts until the black hole
            Process first = CliProcess.start(proxy.ws(), "alice", alice, "send", "--to", "bob", "--text", "lunch?",
                    "--file", photo.toString(), "--wait", "PT5M");
            Lines firstOut = new Lines(first);
            String id;
            try {
                id = firstOut.await("queued ", WAIT).substring("queued ".length()).strip();
                await("the upload reaching " + KILL_AT + " bytes", () -> proxy.mode() == FaultProxy.Mode.BLACKHOLE
                        || !first.isAlive());
                assertThat(first.isAlive()).as("the sender still uploading when the network went half-open").isTrue();
                assertThat(proxy.bytesFromClients()).isLessThan(SIZE);
            } finally {
                kill9(first);
            }
            assertThat(firstOut.lines).as("nothing was sent before the kill").noneMatch(l -> l.startsWith("accepted"));
            long beforeKill = proxy.bytesFromClients();
            System.out.printf("MediaResumeIT: killed (kill -9) after %d bytes crossed the network%n", beforeKill);
            assertThat(beforeKill).isBetween(KILL_AT, (long) SIZE);

            assertThat(proxy.triggersLeft()).as("cuts still to come (after the restart)").isEqualTo(2);

            // 2. the network is back (the connections the black hole held are reset); a new process resumes
            proxy.up();
            Process second = CliProcess.start(proxy.ws(), "alice", alice, "flush", "--wait", "PT5M");
            Lines secondOut = new Lines(second);
            try {
                assertThat(secondOut.await("accepted ", WAIT)).isEqualTo("accepted " + id);
                assertThat(second.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
                assertThat(second.exitValue()).isZero();
            } finally {
                second.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            long total = proxy.bytesFromClients() + proxy.bytesSwallowed();
            System.out.printf("MediaResumeIT: %d bytes from the client in total (%.3f x the %d-byte file; %d swallowed by the"
                    + " black hole), %d cuts%n", total, total / (double) SIZE, SIZE, proxy.bytesSwallowed(), CUTS.length);
            assertThat(proxy.triggersLeft()).as("cuts not made").isZero();
            long afterRestart = proxy.bytesFromClients() - beforeKill;
            assertThat(afterRestart).as("bytes the second process sent: the rest of the file, not all of it")
                    .isLessThan(SIZE - KILL_AT + 3 * PER_CUT);
            assertThat(total).as("bytes sent in total, both processes").isLessThan(SIZE * 3L / 2);
            assertThat(alice.resolve("uploads").resolve(id)).as("the copy is deleted once accepted").doesNotExist();
        }

        // 3. bob, offline all along, connects now: the message once, the file with its hash
        List<IncomingMessage> received = new CopyOnWriteArrayList<>();
        CountDownLatch caughtUp = new CountDownLatch(1);
        try (PigeonholeClient bob = PigeonholeClient.start(ClientOptions.builder(
                URI.create("ws://127.0.0.1:" + STACK.process().port), "bob", "laptop").dataDir(dir.resolve("bob")).build(),
                new Listener() {
                    @Override
                    public void onMessage(IncomingMessage m) {
                        received.add(m);
                    }

                    @Override
                    public void onCaughtUp(long seq) {
                        caughtUp.countDown();
                    }
                })) {
            assertThat(caughtUp.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            assertThat(received).as("messages bob received").hasSize(1);
            IncomingMessage m = received.get(0);
            assertThat(m.from()).isEqualTo("alice");
            assertThat(m.attachments()).extracting(Attachment::ref, Attachment::size, Attachment::name)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(ref, (long) SIZE, "photo.jpg"));
            Path got = bob.download(ref, dir.resolve("got.jpg")).get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(got))))
                    .isEqualTo(ref.substring("sha256:".length()));
        }
    }

    /** {@code kill -9 <pid>}: no shutdown hook, no close, the lock and the SQLite file as they are. */
    private static void kill9(Process p) throws IOException, InterruptedException {
        if (p.isAlive()) {
            Process kill = new ProcessBuilder("kill", "-9", Long.toString(p.pid())).inheritIO().start();
            assertThat(kill.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("exit status of a SIGKILLed process").isEqualTo(128 + 9);
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    /** A process's stdout, read on its own thread (so that it never blocks on a full pipe). */
    private static final class Lines {
        final List<String> lines = new CopyOnWriteArrayList<>();

        Lines(Process p) {
            Thread t = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line = in.readLine(); line != null; line = in.readLine()) {
                        lines.add(line);
                    }
                } catch (IOException e) {
                    // killed
                }
            }, "media-resume-it stdout");
            t.setDaemon(true);
            t.start();
        }

        String await(String prefix, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                for (String l : lines) {
                    if (l.startsWith(prefix)) {
                        return l;
                    }
                }
                Thread.sleep(20);
            }
            throw new AssertionError("no line starting with '" + prefix + "' in " + lines);
        }
    }
}
