package dev.pigeonhole.client;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Child JVM for {@link AttachmentTest}: sends a file, prints the message id once queued, keeps uploading until the
 * test kills it ({@code kill -9}). Args: ws server, http server, data dir, file.
 */
public final class UploadCrashMain {
    private UploadCrashMain() {}

    public static void main(String[] args) throws Exception {
        PigeonholeClient client = PigeonholeClient.start(ClientOptions.builder(URI.create(args[0]), "alice", "phone")
                .httpServer(URI.create(args[1])).dataDir(Path.of(args[2]))
                .backoff(Duration.ofMillis(50), Duration.ofMillis(100)).build(), new Listener() {});
        Outgoing m = client.send("bob", "{}", List.of(FileAttachment.of(Path.of(args[3]), "image/jpeg")));
        m.queued().toCompletableFuture().join();
        System.out.println(m.id());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
        client.close();
    }
}
