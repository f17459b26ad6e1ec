package dev.pigeonhole.client.cli;

import dev.pigeonhole.client.Listener;
import dev.pigeonhole.client.Outgoing;
import dev.pigeonhole.client.SendState;

/**
 * Prints {@code accepted <id>} or {@code rejected <code> <id>} as the server answers (for scripts), and a refusal of
 * the connection (4100-4199) on stderr; the command then stops waiting ({@link Waiting.Outcome#REFUSED}).
 */
final class PrintSettled implements Listener {
    private final ClientMixin client;
    final Refusal refusal = new Refusal();

    PrintSettled(ClientMixin client) {
        this.client = client;
    }

    @Override
    public void onSendState(Outgoing m) {
        System.out.println((m.state() == SendState.ACCEPTED ? "accepted " : "rejected " + m.rejectionCode() + " ") + m.id());
        System.out.flush();
    }

    /** A one-line bar on stderr, redrawn with {@code \r}; ends its line when the file is up. */
    @Override
    public void onUploadProgress(String messageId, String file, long sent, long total) {
        System.err.print("\r" + Entries.bar(file, sent, total) + (sent == total ? "\n" : ""));
        System.err.flush();
    }

    @Override
    public void onRefused(int closeCode, String reason) {
        if (refusal.refused(closeCode)) {
            System.err.println("* " + Refusal.describe(closeCode, reason, client));
            System.err.flush();
            refusal.said();
        }
    }
}
