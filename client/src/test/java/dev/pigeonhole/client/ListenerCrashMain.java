package dev.pigeonhole.client;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A client in its own JVM for {@link LocalStoreClientTest}: prints {@code got <seq> <text>} for every message its
 * listener is handed; with {@code hang}, the listener then never returns (the test kills the process inside it).
 * Args: server URL, data directory, {@code hang} or {@code return}.
 */
public final class ListenerCrashMain {
    private ListenerCrashMain() {}

    public static void main(String[] args) throws Exception {
        boolean hang = args[2].equals("hang");
        PigeonholeClient client = PigeonholeClient.start(ClientOptions.builder(URI.create(args[0]), "alice", "phone")
                .dataDir(Path.of(args[1])).pingInterval(Duration.ofSeconds(2))
                .backoff(Duration.ofMillis(20), Duration.ofMillis(200)).build(), new Listener() {
            @Override
            public void onMessage(IncomingMessage m) {
                System.out.println("got " + m.seq() + " " + m.text());
                System.out.flush();
                if (hang) {
                    try {
                        Thread.sleep(Long.MAX_VALUE);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        });
        Thread.sleep(Long.MAX_VALUE);
        client.close();
    }
}
