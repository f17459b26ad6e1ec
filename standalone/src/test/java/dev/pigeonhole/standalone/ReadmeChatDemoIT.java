package dev.pigeonhole.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The README's two-terminal chat ("Chat, also while the server is down"), played as written: the standalone mode and
 * two {@code pigeonhole-cli chat} processes typed into through their stdin; the test reads their screens.
 */
class ReadmeChatDemoIT {
    private static final Duration WAIT = Duration.ofSeconds(90);

    @Test
    void chatAlsoWhileTheServerIsDown() throws Exception {
        Path data = Files.createTempDirectory("pigeonhole-chat-demo-it");
        Path serverData = data.resolve("server");
        int port = EmbeddedKafka.freePort();
        ServiceProcess server = ServiceProcess.standalone("chat-demo-1", port, serverData).start().awaitReady(WAIT);
        String url = server.ws("");
        try (Screen alice = Screen.chat(url, "alice", "bob", data.resolve("alice"));
             Screen bob = Screen.chat(url, "bob", "alice", data.resolve("bob"))) {
            alice.await("* online");
            bob.await("* online");

            alice.type("lunch?");
            alice.await("  (sent: \"lunch?\")");
            bob.await("] alice: lunch?");
            alice.await("  (delivered to bob: \"lunch?\")");
            alice.await("  (read by bob: \"lunch?\")"); // the chat on Bob's screen showed it
            bob.type("yes, 12:30");
            alice.await("] bob: yes, 12:30");

            server.stop(); // Ctrl-C
            alice.await("* offline (retrying)");
            alice.type("are you there?");
            alice.await("  (queued: \"are you there?\"; offline, 1 waiting)");
            alice.type("/pending");
            alice.await("  1 queued (offline):");
            assertThat(alice.await(" -> bob: are you there?")).as("/pending lists the text").startsWith("    ");

            // quit and start again: the queue is on disk
            alice.type("/quit");
            assertThat(alice.exitCode()).isZero();
            try (Screen again = Screen.chat(url, "alice", "bob", data.resolve("alice"))) {
                int offline = again.indexOf("* offline (retrying)");
                again.await("  1 message(s) from before are queued (/pending lists them)");
                again.type("still there?");
                int queued = again.indexOf("  (queued: \"still there?\"; offline, 2 waiting)");
                assertThat(offline).as("a chat started while the server is down says so first").isLessThan(queued);

                server = ServiceProcess.standalone("chat-demo-2", port, serverData).start().awaitReady(WAIT);
                again.await("* online");
                again.await("  (sent: \"are you there?\")");
                again.await("  (sent: \"still there?\")");
                bob.await("] alice: still there?");
                again.await("  (read by bob: \"still there?\")");
                // once each, in order, on Bob's screen (he stayed in the chat while the server was away)
                List<String> fromAlice = bob.lines().stream().filter(l -> l.contains("] alice: "))
                        .map(l -> l.substring(l.indexOf("] alice: ") + 9)).toList();
                assertThat(fromAlice).containsExactly("lunch?", "are you there?", "still there?");
                again.type("/pending");
                again.await("  nothing queued (online)");
                again.type("/quit");
                assertThat(again.exitCode()).isZero();
            }
            bob.type("/quit");
            assertThat(bob.exitCode()).isZero();
            // Bob saw "lunch?" before the outage: no receipt flood and no repeats on Alice's screen
            assertThat(alice.lines().stream().filter(l -> l.contains("lunch?"))).hasSize(3);
        } finally {
            server.stop();
            TestFiles.delete(data);
        }
    }

    /** A {@code chat} in its own JVM: what it printed, and a keyboard. */
    private static final class Screen implements AutoCloseable {
        private final Process process;
        private final Writer keyboard;
        private final List<String> lines = new CopyOnWriteArrayList<>();

        private Screen(Process process) {
            this.process = process;
            this.keyboard = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
            Thread reader = new Thread(() -> {
                try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line = out.readLine(); line != null; line = out.readLine()) {
                        lines.add(line);
                    }
                } catch (IOException e) {
                    // the process ended
                }
            }, "screen " + process.pid());
            reader.setDaemon(true);
            reader.start();
        }

        static Screen chat(String server, String user, String to, Path dataDir) throws IOException {
            return new Screen(CliProcess.start(server, user, dataDir, "chat", "--to", to));
        }

        void type(String line) throws IOException {
            keyboard.write(line + "\n");
            keyboard.flush();
        }

        List<String> lines() {
            return List.copyOf(lines);
        }

        /** Waits for a line containing {@code text}; returns it. */
        String await(String text) {
            return lines.get(indexOf(text));
        }

        /** Waits for a line containing {@code text}; returns its position on the screen. */
        int indexOf(String text) {
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (System.nanoTime() < deadline) {
                List<String> now = lines();
                for (int i = 0; i < now.size(); i++) {
                    if (now.get(i).contains(text)) {
                        return i;
                    }
                }
                sleep();
            }
            throw new AssertionError("no line with '" + text + "' within " + WAIT + "; screen:\n" + String.join("\n", lines()));
        }

        int exitCode() throws InterruptedException {
            assertThat(process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).as("chat exits").isTrue();
            return process.exitValue();
        }

        @Override
        public void close() {
            process.destroyForcibly();
        }

        private static void sleep() {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }
}
