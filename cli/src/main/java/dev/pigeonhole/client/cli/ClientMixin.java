package dev.pigeonhole.client.cli;

import dev.pigeonhole.client.ClientOptions;
import dev.pigeonhole.client.Listener;
import dev.pigeonhole.client.PigeonholeClient;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/** Options every command shares: where the server is, who we are, where local state lives. */
final class ClientMixin {
    @Option(names = "--server", defaultValue = "ws://127.0.0.1:8080", description = "Server base URL (default ${DEFAULT-VALUE})")
    URI server;

    @Option(names = "--http-server", description = "Where files upload and download (default: --server with ws -> http,"
            + " wss -> https)")
    URI httpServer;

    @Option(names = "--user", required = true, description = "Your user id")
    String user;

    @Option(names = "--device", defaultValue = "cli", description = "This device's id (default ${DEFAULT-VALUE})")
    String device;

    @Option(names = "--data-dir", description = "Outbox, received messages and inbox position (default"
            + " ~/.pigeonhole/<user>-<device>; a relative path is relative to the current directory)")
    Path dataDir;

    @Option(names = "--token", defaultValue = "${env:PIGEONHOLE_TOKEN}",
            description = "Bearer token (default: $PIGEONHOLE_TOKEN; without one, the standalone dev identity is used)")
    String token;

    @Option(names = "--ping-interval", defaultValue = "PT15S", description = "Heartbeat interval, ISO-8601 (default ${DEFAULT-VALUE})")
    Duration pingInterval;

    /** The data directory, absolute. */
    Path dataDir() {
        return (dataDir != null ? dataDir : Path.of(System.getProperty("user.home"), ".pigeonhole", user + "-" + device))
                .toAbsolutePath().normalize();
    }

    PigeonholeClient start(Listener listener) {
        return start(listener, false);
    }

    /** @param history on this device's very first connection, read the whole retained inbox (see ClientOptions) */
    PigeonholeClient start(Listener listener, boolean history) {
        return PigeonholeClient.start(ClientOptions.builder(server, user, device).dataDir(dataDir()).pingInterval(pingInterval)
                .backoff(Duration.ofMillis(250), Duration.ofSeconds(5)).token(token == null || token.isBlank() ? null : token)
                .history(history).httpServer(httpServer).build(), listener);
    }
}
