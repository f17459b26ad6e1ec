package dev.pigeonhole.client;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A client in its own JVM for {@link AsyncSendTest}: sends one message to a server that is not there, prints its id
 * once {@link Outgoing#queued()} completed, then waits to be killed. Args: server URL, data directory.
 */
public final class SendCrashMain {
    private SendCrashMain() {}

    public static void main(String[] args) throws Exception {
        PigeonholeClient client = PigeonholeClient.start(ClientOptions.builder(URI.create(args[0]), "alice", "phone")
                .dataDir(Path.of(args[1])).backoff(Duration.ofSeconds(5), Duration.ofSeconds(5)).build(), new Listener() {});
        Outgoing m = client.sendText("bob", "survives");
        m.queued().toCompletableFuture().join();
        System.out.println(m.id());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
        client.close();
    }
}
