package dev.pigeonhole.client.cli;

import dev.pigeonhole.client.ConnectionState;
import dev.pigeonhole.client.InboxEntry;
import dev.pigeonhole.client.IncomingMessage;
import dev.pigeonhole.client.Listener;
import dev.pigeonhole.client.Outgoing;
import dev.pigeonhole.client.PigeonholeClient;
import dev.pigeonhole.client.Receipt;
import dev.pigeonhole.client.SendState;
import dev.pigeonhole.client.Undelivered;
import dev.pigeonhole.protocol.ClientFrame;
import dev.pigeonhole.protocol.Frames;
import dev.pigeonhole.protocol.ServerFrame;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Interactive chat: type lines to send, see what arrives, the connection state and what is still queued. Starts by
 * showing what this device received and no {@code tail} or {@code chat} showed yet (e.g. what a {@code send} received).
 *
 * <p>A line-based terminal cannot rewrite earlier lines portably, so a message's progress is a short state line that
 * names it by its text (the first {@value #TEXT_MAX} characters): {@code (queued: "hi"; offline, 1 waiting)},
 * {@code (sent: "hi")}, {@code (delivered to bob: "hi")}, {@code (read by bob: "hi")} — each state once per message
 * typed in this chat, only forward. Receipts for messages of earlier sessions (or other devices) are not printed one
 * by one: they are counted into one line, {@code (N receipts for earlier messages; history shows them)}.
 */
@Command(name = "chat", mixinStandardHelpOptions = true, description = {"Chat interactively (/to USER, /pending, /save N [PATH], /quit).",
        "Starts with everything this device received that no chat or tail showed yet (also what send, flush or history"
                + " received), then the connection state ('* online', '* offline (retrying)'). What you type gets state"
                + " lines naming its text: (queued: \"…\"), (sent: \"…\"), (delivered to USER: \"…\"), (read by USER: \"…\");"
                + " receipts for earlier messages are summed up in one line. /pending lists what is queued. Messages the"
                + " chat shows count as read: their senders get read receipts.",
        "Files: a message's attachments are shown as [NAME SIZE]; /save N saves those of message [N] in the directory"
                + " chat was started from, /save N DIR/ (or an existing directory) there, /save N FILE as FILE (one"
                + " attachment). Saving runs in the background: (saving NAME to FILE), then (saved: FILE) or (could not"
                + " save ...); a cut download continues from FILE.part with the same /save. Nothing is overwritten when"
                + " saving into a directory (NAME-1.EXT if NAME holds other bytes)."},
        footer = {"", "Exit codes: 0 after /quit or end of input, 4 refused by the server (said in the chat, e.g. '* displaced:"
                + " another client of alice/cli took this device's inbox (4103); stopping'; also 4100 unauthorized, 4104"
                + " device removed, 4105 too many devices), 5 the data directory is used by another pigeonhole-cli."
                + " While the server is unreachable the chat goes on: what you type is queued and sent later."})
final class ChatCommand implements Callable<Integer> {
    static final int TEXT_MAX = 40;
    /** How many stored entries {@code /save N} looks through for a message this chat did not show. */
    static final int HISTORY_SCAN = 10_000;
    /** How long the chat waits for the first connection attempt's outcome before it reads what is typed. */
    static final Duration FIRST_STATE = Duration.ofSeconds(1);

    @Mixin
    ClientMixin client;

    @Option(names = "--to", required = true, description = "Who to talk to (change with /to USER)")
    String to;

    /** How far each message typed in this chat got (id -> text and the last state line printed). */
    private final Map<String, Sent> session = new ConcurrentHashMap<>();
    /** Receipt items for other messages, not printed yet (summed up in one line). */
    private final AtomicInteger otherReceipts = new AtomicInteger();
    /** After caught_up on the current connection: what arrives is live (summaries are printed at once). */
    private volatile boolean live;
    /** The highest seq of a message from another user this chat put on the screen: the read marker it sends. */
    private final AtomicLong shownFromOthers = new AtomicLong();
    private volatile PigeonholeClient chat;
    /** Whether the chat said once how to save a message's files. */
    private volatile boolean savingHinted;

    private static final int QUEUED = 0;
    private static final int SENT = 1;
    private static final int DELIVERED = 2;
    private static final int READ = 3;
    /** Rejected or undelivered: nothing follows. */
    private static final int FAILED = 4;

    private static final class Sent {
        final String text;
        /** The last state printed (-1: none yet). */
        int shown = -1;

        Sent(String text) {
            this.text = text;
        }
    }

    @Override
    public Integer call() throws Exception {
        String me = client.device;
        Feed feed = new Feed(e -> {
            lines(e, me).forEach(ChatCommand::print);
            if ("message".equals(e.kind()) && !e.own()) {
                shownFromOthers.accumulateAndGet(e.seq(), Math::max);
            }
            return true;
        });
        Refusal refusal = new Refusal();
        // lines typed, read on their own thread so that a refusal can end the chat while it waits for input
        BlockingQueue<Optional<String>> typed = new LinkedBlockingQueue<>();
        try (ConnectionNotices notices = new ConnectionNotices(ChatCommand::print);
             PigeonholeClient c = client.start(new Listener() {
                 // Entries are stored before these run: the feed prints everything not shown yet, in order.
                 @Override
                 public void onMessage(IncomingMessage m) {
                     feed.show();
                     markRead();
                 }

                 @Override
                 public void onReceipt(Receipt r) {
                     feed.show();
                     if (live) {
                         summarizeReceipts();
                     }
                 }

                 @Override
                 public void onUndelivered(Undelivered u) {
                     feed.show();
                 }

                 @Override
                 public void onGap(long from, long to, String reason) {
                     feed.show();
                 }

                 @Override
                 public void onCaughtUp(long seq) {
                     feed.show();
                     summarizeReceipts();
                     live = true;
                     markRead(); // also what was shown before this connection (a read marker is not sent offline)
                 }

                 @Override
                 public void onConnectionState(ConnectionState state) {
                     if (state != ConnectionState.ONLINE) {
                         live = false;
                     }
                     notices.changed(state);
                 }

                 @Override
                 public void onSendState(Outgoing m) {
                     Sent s = session.get(m.id());
                     String text = s != null ? s.text : Entries.text(m.body());
                     if (m.state() == SendState.ACCEPTED) {
                         advance(m.id(), SENT, "(sent: " + quote(text) + ")");
                     } else {
                         advance(m.id(), FAILED, "(rejected " + m.rejectionCode() + ": " + quote(text) + ": "
                                 + m.rejectionMessage() + ")");
                     }
                 }

                 @Override
                 public void onRefused(int closeCode, String reason) {
                     if (refusal.refused(closeCode)) {
                         notices.stop();
                         print(Refusal.stopping(closeCode, reason, client));
                         typed.add(Optional.empty());
                     }
                 }
             })) {
            print(client.user + "/" + client.device + " -> " + to + ". Type and press Enter. /to USER, /pending, /save N [PATH], /quit");
            chat = c;
            feed.attach(c);
            summarizeReceipts();
            // The state comes before anything typed is answered: a chat that starts offline says so first.
            notices.awaitFirst(FIRST_STATE);
            int queued = c.pending().size();
            if (queued > 0) {
                print("  " + queued + " message(s) from before are queued (/pending lists them)");
            }
            Thread reader = new Thread(() -> readLines(typed), "pigeonhole-cli stdin");
            reader.setDaemon(true);
            reader.start();
            for (Optional<String> next = typed.take(); next.isPresent() && !refusal.happened(); next = typed.take()) {
                String line = next.get();
                if (line.equals("/quit")) {
                    break;
                } else if (line.startsWith("/to ")) {
                    to = line.substring(4).trim();
                    print("  now talking to " + to);
                } else if (line.equals("/pending")) {
                    pending(c);
                } else if (line.equals("/save") || line.startsWith("/save ")) {
                    save(c, line.substring("/save".length()).trim());
                } else if (!line.isBlank()) {
                    Outgoing m = c.sendText(to, line);
                    m.queued().toCompletableFuture().join(); // on disk before "queued" is shown, or /quit exits
                    session.putIfAbsent(m.id(), new Sent(line));
                    if (c.state() != ConnectionState.ONLINE && m.state() == SendState.QUEUED) {
                        advance(m.id(), QUEUED, "(queued: " + quote(line) + "; offline, " + c.pending().size() + " waiting)");
                    }
                }
            }
        }
        return refusal.happened() ? PigeonholeCli.REFUSED : PigeonholeCli.OK;
    }

    private static void readLines(BlockingQueue<Optional<String>> typed) {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                typed.add(Optional.of(line));
            }
        } catch (IOException e) {
            // end of input
        }
        typed.add(Optional.empty());
    }

    /** What the chat showed counts as read: the senders get {@code read} receipts (dropped while offline). */
    private void markRead() {
        PigeonholeClient c = chat;
        long seq = shownFromOthers.get();
        if (c != null && seq > 0) {
            c.markRead(seq);
        }
    }

    /** Attachments of the messages this chat showed, by the seq shown in brackets. */
    private final Map<Long, List<ClientFrame.Attachment>> shownFiles = new ConcurrentHashMap<>();

    /** {@code /save N [PATH]}: downloads the attachments of message [N] in the background. */
    private void save(PigeonholeClient c, String args) {
        String[] parts = args.split("\\s+", 2);
        long seq;
        try {
            seq = Long.parseLong(parts[0]);
        } catch (NumberFormatException e) {
            print("  usage: /save N [PATH] (N: the number in brackets before a message with files)");
            return;
        }
        List<ClientFrame.Attachment> files = shownFiles.get(seq);
        if (files == null) {
            files = findFiles(c, seq);
        }
        if (files == null || files.isEmpty()) {
            print("  (message [" + seq + "] has no files)");
            return;
        }
        String path = parts.length > 1 ? parts[1].trim() : "";
        Path where = Saving.resolve(path.isEmpty() ? "." : path);
        boolean intoDir = path.isEmpty() || path.endsWith("/") || Files.isDirectory(where);
        if (!intoDir && files.size() > 1) {
            print("  (message [" + seq + "] has " + files.size() + " files: give a directory, e.g. /save " + seq + " "
                    + path + "/)");
            return;
        }
        for (ClientFrame.Attachment a : files) {
            Path target;
            try {
                if (intoDir) {
                    Files.createDirectories(where);
                    Saving.Target t = Saving.target(where, a);
                    if (t.alreadySaved()) {
                        print("  (already saved: " + t.file() + ")");
                        continue;
                    }
                    target = t.file();
                } else {
                    if (where.getParent() != null) {
                        Files.createDirectories(where.getParent());
                    }
                    target = where;
                }
            } catch (IOException e) {
                print("  (could not save " + Saving.fileName(a) + ": " + e + ")");
                continue;
            }
            print("  (saving " + Saving.fileName(a) + " " + Entries.size(a.size()) + " to " + target + ")");
            c.download(a.ref(), target).whenComplete((file, failure) -> {
                if (failure == null) {
                    print("  (saved: " + file + ")");
                } else {
                    Throwable cause = failure instanceof java.util.concurrent.CompletionException ? failure.getCause() : failure;
                    boolean final_ = cause instanceof dev.pigeonhole.client.internal.Downloads.StatusException
                            || String.valueOf(cause.getMessage()).contains("do not hash");
                    print("  (could not save " + Saving.fileName(a) + ": " + cause.getMessage()
                            + (final_ ? ")" : "; /save " + seq + " again continues it)"));
                }
            });
        }
    }

    /** The files of message [seq] in the local store (shown by an earlier chat or tail), newest such entry. */
    private static List<ClientFrame.Attachment> findFiles(PigeonholeClient c, long seq) {
        List<InboxEntry> stored = c.history(HISTORY_SCAN);
        for (int i = stored.size() - 1; i >= 0; i--) {
            InboxEntry e = stored.get(i);
            if (e.seq() == seq && "message".equals(e.kind())
                    && Frames.decodeServer(e.json()) instanceof ServerFrame.Message m) {
                return m.attachments();
            }
        }
        return null;
    }

    /** {@code /pending}: what waits in the outbox, oldest first (id prefix and text). */
    private static void pending(PigeonholeClient c) {
        List<Outgoing> pending = c.pending();
        String connection = c.state() == ConnectionState.ONLINE ? "online" : "offline";
        if (pending.isEmpty()) {
            print("  nothing queued (" + connection + ")");
            return;
        }
        print("  " + pending.size() + " queued (" + connection + "):");
        for (Outgoing o : pending) {
            print("    " + Entries.shortId(o.id()) + " -> " + o.to() + ": " + Entries.text(o.body()));
        }
    }

    /** Prints {@code line} if it moves a message of this chat forward (each state once, in order, nothing after a failure). */
    private void advance(String id, int level, String line) {
        Sent s = session.get(id);
        if (s == null) {
            if (level == SENT || level == FAILED) {
                print("  " + line); // answered: a message queued by an earlier run
            }
            return;
        }
        synchronized (s) {
            if (level <= s.shown) {
                return;
            }
            s.shown = level;
        }
        print("  " + line);
    }

    /** The lines the chat prints for an entry: receipts of this chat's messages as state lines, others counted. */
    private List<String> lines(InboxEntry e, String me) {
        if (!"receipt".equals(e.kind()) && !"undelivered".equals(e.kind())) {
            List<String> out = Entries.lines(e, me, false);
            if (!out.isEmpty() && "message".equals(e.kind())
                    && Frames.decodeServer(e.json()) instanceof ServerFrame.Message m
                    && m.attachments() != null && !m.attachments().isEmpty()) {
                shownFiles.put(m.seq(), m.attachments());
                if (!savingHinted) {
                    savingHinted = true;
                    out = new ArrayList<>(out);
                    out.add("  (/save " + m.seq() + " saves its file" + (m.attachments().size() > 1 ? "s" : "") + ")");
                }
            }
            return out;
        }
        ServerFrame frame = Frames.decodeServer(e.json());
        if (frame instanceof ServerFrame.Receipt r) {
            boolean read = r.status() == ServerFrame.Receipt.Status.READ;
            for (ServerFrame.Receipt.Item i : r.messages()) {
                Sent s = session.get(i.id());
                if (s == null) {
                    otherReceipts.incrementAndGet();
                } else {
                    advance(i.id(), read ? READ : DELIVERED, (read ? "(read by " : "(delivered to ") + r.by() + ": " + quote(s.text) + ")");
                }
            }
            return List.of();
        }
        if (frame instanceof ServerFrame.Undelivered u) {
            List<String> out = new ArrayList<>();
            for (ServerFrame.Undelivered.Item i : u.messages()) {
                Sent s = session.get(i.id());
                if (s == null) {
                    out.add("  (" + Entries.shortId(i.id()) + " NOT delivered to " + u.recipient() + ": " + u.reason() + ")");
                } else {
                    advance(i.id(), FAILED, "(NOT delivered to " + u.recipient() + ": " + quote(s.text) + ": " + u.reason() + ")");
                }
            }
            return out;
        }
        return List.of();
    }

    private void summarizeReceipts() {
        int n = otherReceipts.getAndSet(0);
        if (n > 0) {
            print("  (" + n + (n == 1 ? " receipt" : " receipts") + " for earlier messages; history shows them)");
        }
    }

    /** The text in quotes, cut to {@value #TEXT_MAX} characters. */
    static String quote(String text) {
        String oneLine = text.replace('\n', ' ');
        return "\"" + (oneLine.length() <= TEXT_MAX ? oneLine : oneLine.substring(0, TEXT_MAX - 3) + "...") + "\"";
    }

    private static synchronized void print(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
