package dev.pigeonhole.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Executable;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The public API speaks SDK types and JSON text only: no protocol or Jackson type, so apps do not depend on them. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class PublicApiTest {

    @Test
    void noPublicSignatureMentionsAProtocolOrJacksonType() throws Exception {
        List<String> leaks = new ArrayList<>();
        Path root = Path.of(PigeonholeClient.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<Path> classes = new ArrayList<>();
        for (String pkg : List.of("dev/pigeonhole/client", "dev/pigeonhole/client/spi")) {
            try (Stream<Path> files = Files.list(root.resolve(pkg))) {
                files.filter(p -> p.toString().endsWith(".class")).forEach(classes::add);
            }
        }
        assertThat(classes).extracting(p -> p.getFileName().toString()).contains("Store.class", "Transport.class");
        for (Path f : classes) {
            String className = root.relativize(f).toString().replace('/', '.').replace(".class", "");
            Class<?> c = Class.forName(className);
            if (!Modifier.isPublic(c.getModifiers())) {
                continue;
            }
            List<Executable> members = new ArrayList<>(List.of(c.getMethods()));
            members.addAll(List.of(c.getConstructors()));
            for (Executable m : members) {
                List<Type> types = new ArrayList<>(List.of(m.getGenericParameterTypes()));
                if (m instanceof Method method) {
                    types.add(method.getGenericReturnType());
                }
                for (Type t : types) {
                    String name = t.getTypeName();
                    if (name.contains("dev.pigeonhole.protocol") || name.contains("com.fasterxml")) {
                        leaks.add(c.getSimpleName() + "." + m.getName() + ": " + name);
                    }
                }
            }
        }
        assertThat(leaks).isEmpty();
    }

    @Test
    void sendTakesAJsonObjectAsText() throws Exception {
        try (PigeonholeClient client = PigeonholeClient.start(ClientOptions.builder(
                URI.create("ws://127.0.0.1:" + FakeWsServer.freePort()), "alice", "phone").build(), new Listener() {})) {
            Outgoing m = client.send("bob", "{ \"text\": \"hi\", \"n\": 1 }");
            assertThat(m.body()).isEqualTo("{\"text\":\"hi\",\"n\":1}");
            assertThat(m.text()).isEqualTo("hi");
            assertThat(client.sendText("bob", "a \"quote\"").body()).isEqualTo("{\"text\":\"a \\\"quote\\\"\"}");
            assertThatThrownBy(() -> client.send("bob", "\"just a string\"")).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> client.send("bob", "{\"text\":")).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> client.send("bob", null)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void receiptsUndeliveredAndBacklogArriveAsSdkTypes() throws Exception {
        CompletableFuture<Receipt> receipt = new CompletableFuture<>();
        CompletableFuture<Undelivered> undelivered = new CompletableFuture<>();
        CompletableFuture<Backlog> backlog = new CompletableFuture<>();
        try (FakeWsServer server = new FakeWsServer(0);
             PigeonholeClient client = PigeonholeClient.start(ClientOptions.builder(URI.create(server.url()), "alice", "phone")
                     .pingInterval(Duration.ofSeconds(2)).build(), new Listener() {
                 @Override
                 public void onReceipt(Receipt r) {
                     receipt.complete(r);
                 }

                 @Override
                 public void onUndelivered(Undelivered u) {
                     undelivered.complete(u);
                 }

                 @Override
                 public void onBacklog(Backlog b) {
                     backlog.complete(b);
                 }
             })) {
            FakeWsServer.Connection inbox = server.accept("/v1/inbox", Duration.ofSeconds(10));
            inbox.send("{\"type\":\"backlog\",\"count\":2,\"oldest\":4,\"oldestSentAt\":99,\"head\":5,\"epoch\":7,"
                    + "\"skipped\":{\"from\":1,\"to\":3}}");
            inbox.send("{\"type\":\"receipt\",\"seq\":4,\"by\":\"bob\",\"status\":\"read\",\"messages\":[{\"id\":\"x-1\","
                    + "\"to\":\"bob\",\"devices\":0,\"of\":0}],\"at\":2000}");
            inbox.send("{\"type\":\"undelivered\",\"seq\":5,\"recipient\":\"bob\",\"reason\":\"expired\",\"messages\":"
                    + "[{\"id\":\"x-2\",\"to\":\"bob\",\"sentAt\":1500}],\"at\":2100}");
            assertThat(backlog.get(10, TimeUnit.SECONDS)).isEqualTo(new Backlog(2, 4L, 99L, 5, 7, 1L, 3L));
            assertThat(receipt.get(10, TimeUnit.SECONDS)).isEqualTo(new Receipt(4, "bob", Receipt.Status.READ,
                    List.of(new Receipt.Item("x-1", "bob", 0, 0)), 2000));
            assertThat(undelivered.get(10, TimeUnit.SECONDS)).isEqualTo(new Undelivered(5, "bob", "expired",
                    List.of(new Undelivered.Item("x-2", "bob", 1500)), 2100));
        }
    }
}
