package dev.pigeonhole.client.cli;

import dev.pigeonhole.client.ConnectionState;
import dev.pigeonhole.client.IncomingMessage;
import dev.pigeonhole.client.Listener;
import dev.pigeonhole.protocol.ServerFrame;
import dev.pigeonhole.client.Outgoing;
import dev.pigeonhole.client.PigeonholeClient;
import dev.pigeonhole.client.SendState;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Interactive chat: type lines to send, see what arrives, the connection state and what is still queued. */
@Command(name = "chat", mixinStandardHelpOptions = true, description = "Chat interactively (/to USER, /pending, /quit).")
final class ChatCommand implements Callable<Integer> {
    @Mixin
    ClientMixin client;

    @Option(names = "--to", required = true, description = "Who to talk to (change with /to USER)")
    String to;

    @Override
    public Integer call() throws Exception {
        String me = client.device;
        try (PigeonholeClient c = client.start(new Listener() {
            @Override
            public void onMessage(IncomingMessage m) {
                String text = m.body().has("text") ? m.body().get("text").asText() : m.body().toString();
                if (!m.own()) {
                    print("[" + m.seq() + "] " + m.from() + ": " + text);
                } else if (!m.fromDevice().equals(me)) {
                    print("[" + m.seq() + "] you (" + m.fromDevice() + ") -> " + m.to() + ": " + text);
                }
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
                print(m.state() == SendState.ACCEPTED ? "  (sent " + shortId(m.id()) + ")"
                        : "  (rejected " + m.rejectionCode() + ": " + m.rejectionMessage() + ")");
            }

            @Override
            public void onReceipt(ServerFrame.Receipt r) {
                for (ServerFrame.Receipt.Item i : r.messages()) {
                    print("  (" + shortId(i.id()) + (r.status() == ServerFrame.Receipt.Status.READ ? " read by " + r.by()
                            : " delivered to " + r.by() + ": " + i.devices() + " of " + i.of() + " devices") + ")");
                }
            }

            @Override
            public void onUndelivered(ServerFrame.Undelivered u) {
                for (ServerFrame.Undelivered.Item i : u.messages()) {
                    print("  (" + shortId(i.id()) + " NOT delivered to " + u.recipient() + ": " + u.reason() + ")");
                }
            }

            @Override
            public void onGap(long from, long to, String reason) {
                print("* messages " + from + ".." + to + " are gone from the server (" + reason + ")");
            }

            @Override
            public void onRefused(int code, String reason) {
                print("* refused by the server (" + code + "): " + reason);
            }
        })) {
            print(client.user + "/" + client.device + " -> " + to + ". Type and press Enter. /to USER, /pending, /quit");
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

    private static String shortId(String id) {
        return id.length() <= 8 ? id : id.substring(0, 8);
    }

    private static synchronized void print(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
