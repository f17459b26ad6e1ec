package dev.pigeonhole.client.cli;

import dev.pigeonhole.client.Listener;
import dev.pigeonhole.client.Outgoing;
import dev.pigeonhole.client.SendState;

/** Prints {@code accepted <id>} or {@code rejected <code> <id>} as the server answers (for scripts). */
final class PrintSettled implements Listener {
    @Override
    public void onSendState(Outgoing m) {
        System.out.println((m.state() == SendState.ACCEPTED ? "accepted " : "rejected " + m.rejectionCode() + " ") + m.id());
        System.out.flush();
    }

    @Override
    public void onRefused(int closeCode, String reason) {
        System.err.println("refused by the server (" + closeCode + "): " + reason);
    }
}
