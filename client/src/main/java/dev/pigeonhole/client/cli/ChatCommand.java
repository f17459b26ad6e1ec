package dev.pigeonhole.client.cli;

import dev.pigeonhole.client.ConnectionState;
import dev.pigeonhole.client.IncomingMessage;
import dev.pigeonhole.client.Listener;
import dev.pigeonhole.client.Outgoing;
import dev.pigeonhole.client.PigeonholeClient;
import dev.pigeonhole.client.SendState;
import dev.pigeonhole.protocol.ServerFrame;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Interactive chat: type lines to send, see what arrives, the connection state and what is still queued. Starts by
 * showing what this device received and no {@code tail} or {@code chat} showed yet (e.g. what a {@code send} received).
 */
@Command(name = "chat", mixinStandardHelpOptions = true, description = {"Chat interactively (/to USER, /pending, /quit).",
        "Starts with everything this device received that no chat or tail showed yet (also what send, flush or history"
                + " received)."})
final class ChatCommand implements Callable<Integer> {
    @Mixin
    ClientMixin client;

    @Option(names = "--to", required = true, description = "Who to talk to (change with /to USER)")
    String to;

    @Override
    public Integer call() throws Exception {
        String me = client.device;
        Feed feed = new Feed(e -> {
            Entries.lines(e, me, false).forEach(ChatCommand::print);
            return true;
        });
        try (PigeonholeClient c = client.start(new Listener() {
            // Entries are stored before these run: the feed prints everything not shown yet, in order.
            @Override
            public void onMessage(IncomingMessage m) {
                feed.show();
            }

            @Override
            public void onReceipt(ServerFrame.Receipt r) {
                feed.show();
            }

            @Override
            public void onUndelivered(ServerFrame.Undelivered u) {
                feed.show();
            }

            @Override
            public void onGap(long from, long to, String reason) {
                feed.show();
            }

            private ConnectionState shown;

            @Override
            public void onConnectionState(ConnectionState state) {
                // Attempts while offline go CONNECTING -> OFFLINE again and again: show online/offline changes only.
                ConnectionState visible = state == ConnectionState.CONNECTING ? shown : state;
                if (visible != null && visible != shown) {
                    shown = visible;
                    print("* " + (visible == ConnectionState.OFFLINE ? "offline (retrying)" : visible.name().toLowerCase()));
                }
            }

            @Override
            public void onSendState(Outgoing m) {
                print(m.state() == SendState.ACCEPTED ? "  (sent " + Entries.shortId(m.id()) + ")"
                        : "  (rejected " + m.rejectionCode() + ": " + m.rejectionMessage() + ")");
            }

            @Override
            public void onRefused(int code, String reason) {
                print("* refused by the server (" + code + "): " + reason);
            }
        })) {
            print(client.user + "/" + client.device + " -> " + to + ". Type and press Enter. /to USER, /pending, /quit");
            feed.attach(c);
            int queued = c.pending().size();
            if (queued > 0) {
                print("  " + queued + " message(s) from before are queued");
            }
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.equals("/quit")) {
                    break;
                } else if (line.startsWith("/to ")) {
                    to = line.substring(4).trim();
                    print("  now talking to " + to);
                } else if (line.equals("/pending")) {
                    print("  " + c.pending().size() + " queued; connection " + c.state().name().toLowerCase());
                } else if (!line.isBlank()) {
                    Outgoing m = c.sendText(to, line);
                    if (c.state() != ConnectionState.ONLINE) {
                        print("  (queued offline: " + c.pending().size() + " waiting)");
                    }
                    m.settled();
                }
            }
        }
        return PigeonholeCli.OK;
    }

    private static synchronized void print(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
