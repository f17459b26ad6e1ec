package dev.pigeonhole.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pigeonhole.client.internal.MemoryStore;
import dev.pigeonhole.client.spi.Store;
import dev.pigeonhole.protocol.Json;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** send() does no storage I/O on the caller's thread; queued() means the message survives a crash. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class AsyncSendTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    @Test
    void sendLeavesTheOutboxWriteToTheClientsThread() throws Exception {
        MemoryStore memory = new MemoryStore();
        List<String> calls = new CopyOnWriteArrayList<>(); // "thread method"
        Store recording = (Store) Proxy.newProxyInstance(Store.class.getClassLoader(), new Class<?>[] {Store.class},
                (proxy, method, args) -> {
                    calls.add(Thread.currentThread().getName() + " " + method.getName());
                    try {
                        return method.invoke(memory, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        try (PigeonholeClient client = PigeonholeClient.start(ClientOptions.builder(
                URI.create("ws://127.0.0.1:" + FakeWsServer.freePort()), "alice", "phone").store(recording).build(), new Listener() {})) {
            String caller = Thread.currentThread().getName();
            calls.clear();
            Outgoing m = client.sendText("bob", "hi");
            assertThat(client.pending()).containsExactly(m);
            assertThat(m.queued().toCompletableFuture().get(10, TimeUnit.SECONDS)).isSameAs(m);
            assertThat(calls).as("no store call on the caller's thread").noneMatch(c -> c.startsWith(caller + " "));
            assertThat(calls).contains("pigeonhole-client alice/phone add");
            assertThat(memory.pending()).extracting(o -> o.id()).containsExactly(m.id());
        }
    }

    @Test
    void aMessageWhoseQueuedCompletedIsResentWithItsIdAfterAKill() throws Exception {
        Path data = dir.resolve("alice-phone");
        List<String> cmd = List.of(ProcessHandle.current().info().command().orElse("java"), "-Xmx64m", "-cp",
                System.getProperty("java.class.path"), SendCrashMain.class.getName(),
                "ws://127.0.0.1:" + FakeWsServer.freePort(), data.toString());
        Process child = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String id;
        try {
            id = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8)).readLine();
        } finally {
            child.destroyForcibly().waitFor(10, TimeUnit.SECONDS); // SIGKILL right after queued() completed
        }
        assertThat(id).isNotBlank();

        try (FakeWsServer server = new FakeWsServer(0);
             PigeonholeClient next = PigeonholeClient.start(ClientOptions.builder(URI.create(server.url()), "alice", "phone")
                     .dataDir(data).build(), new Listener() {})) {
            assertThat(next.pending()).extracting(Outgoing::id).containsExactly(id);
            FakeWsServer.Connection send = server.accept("/v1/send", WAIT);
            JsonNode frame = Json.read(send.next("\"send\"", WAIT), JsonNode.class);
            assertThat(frame.get("id").asText()).isEqualTo(id);
            assertThat(frame.at("/body/text").asText()).isEqualTo("survives");
        }
    }
}
