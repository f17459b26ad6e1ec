package dev.pigeonhole.client.cli;

import dev.pigeonhole.client.Outgoing;
import dev.pigeonhole.client.PigeonholeClient;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Queues messages (one per stdin line, or {@code --text}) and waits for the server's answers. A message that is
 * still queued when the wait ends stays in the outbox; any later command with the same data directory sends it.
 */
@Command(name = "send", mixinStandardHelpOptions = true, description = "Send messages (works offline: they stay queued).",
        footer = "Exit codes: 0 all accepted, 2 some rejected, 3 some still queued (sent by a later run).")
final class SendCommand implements Callable<Integer> {
    @Mixin
    ClientMixin client;

    @Option(names = "--to", required = true, description = "Recipient user id")
    String to;

    @Option(names = "--text", description = "The message; without it, each line of stdin is one message")
    String text;

    @Option(names = "--wait", defaultValue = "PT30S", description = "How long to wait for answers (default ${DEFAULT-VALUE})")
    Duration wait;

    @Override
    public Integer call() throws Exception {
        try (PigeonholeClient c = client.start(new PrintSettled())) {
            List<Outgoing> sent = new ArrayList<>();
            if (text != null) {
                sent.add(queue(c, text));
            } else {
                BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    sent.add(queue(c, line));
                }
            }
            return Waiting.settle(c, sent, wait);
        }
    }

    private Outgoing queue(PigeonholeClient c, String line) {
        Outgoing m = c.sendText(to, line);
        System.out.println("queued " + m.id());
        System.out.flush();
        return m;
    }
}
