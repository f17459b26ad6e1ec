package dev.pigeonhole.client.cli;

import dev.pigeonhole.client.FileAttachment;
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
 * What the inbox receives meanwhile is kept in the local store for {@code history}, {@code tail} and {@code chat}.
 */
@Command(name = "send", mixinStandardHelpOptions = true, description = {"Send messages (works offline: they stay queued).",
        "Prints 'queued <id>' when a message is on disk and 'accepted <id>' or 'rejected <code> <id>' when the server"
                + " answers; exits as soon as every answer is in. Messages received meanwhile stay in the local store"
                + " (see history, tail, chat)."},
        footer = {"", "Exit codes: 0 all accepted, 2 some rejected, 3 some still queued (said on stderr: server unreachable,"
                + " or no answer in time; a later send, flush or chat sends them), 4 refused by the server (e.g. 4100"
                + " unauthorized, 4103 displaced by another client of this device: said on stderr; the rest stays"
                + " queued), 5 the data directory is used by another pigeonhole-cli."})
final class SendCommand implements Callable<Integer> {
    /** Without --wait: the longest wait for answers while the server is reachable. */
    static final Duration MAX_WAIT = Duration.ofSeconds(30);

    @Mixin
    ClientMixin client;

    @Option(names = "--to", required = true, description = "Recipient user id")
    String to;

    @Option(names = "--text", description = "The message; without it, each line of stdin is one message")
    String text;

    @Option(names = "--file", description = "Attach a file (repeatable, up to 10): one message with --text (if any) and the"
            + " files; they upload in chunks with a progress bar on stderr and resume where they stopped, in a later"
            + " send, flush or chat if need be")
    List<java.nio.file.Path> files = new ArrayList<>();

    @Option(names = "--wait", description = "How long to wait for the server's answers, ISO-8601 (e.g. PT10M). Default:"
            + " up to 30 s while the server is reachable; give up after 3 s without a connection to it.")
    Duration wait;

    @Override
    public Integer call() throws Exception {
        for (java.nio.file.Path f : files) {
            if (!java.nio.file.Files.isRegularFile(f)) {
                System.err.println("* no such file: " + f);
                return PigeonholeCli.REJECTED;
            }
        }
        PrintSettled printer = new PrintSettled(client);
        try (PigeonholeClient c = client.start(printer)) {
            List<Outgoing> sent = new ArrayList<>();
            if (!files.isEmpty()) {
                List<FileAttachment> attachments = new ArrayList<>();
                for (java.nio.file.Path f : files) {
                    attachments.add(FileAttachment.of(f, mediaType(f)));
                }
                sent.add(queued(c.sendText(to, text, attachments)));
            } else if (text != null) {
                sent.add(queue(c, text));
            } else {
                BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    sent.add(queue(c, line));
                }
            }
            int exit = Waiting.settle(client, c, sent, printer.refusal, wait, MAX_WAIT);
            Waiting.unshownHint(c);
            return exit;
        }
    }

    /** The file's media type as the platform guesses it from its name, else {@code application/octet-stream}. */
    static String mediaType(java.nio.file.Path f) {
        String type = java.net.URLConnection.guessContentTypeFromName(f.getFileName().toString());
        return type != null ? type : "application/octet-stream";
    }

    private Outgoing queue(PigeonholeClient c, String line) {
        return queued(c.sendText(to, line));
    }

    private static Outgoing queued(Outgoing m) {
        m.queued().toCompletableFuture().join(); // on disk before we say so
        System.out.println("queued " + m.id());
        System.out.flush();
        return m;
    }
}
