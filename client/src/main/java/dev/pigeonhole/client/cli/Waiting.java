package dev.pigeonhole.client.cli;

import dev.pigeonhole.client.Outgoing;
import dev.pigeonhole.client.PigeonholeClient;
import dev.pigeonhole.client.SendState;
import java.time.Duration;
import java.util.List;

/** Waits for outgoing messages to settle and turns the outcome into an exit code. */
final class Waiting {
    private Waiting() {}

    static int settle(PigeonholeClient client, List<Outgoing> messages, Duration wait) throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        while (System.nanoTime() < deadline && messages.stream().anyMatch(m -> m.state() == SendState.QUEUED)) {
            Thread.sleep(20);
        }
        if (messages.stream().anyMatch(m -> m.state() == SendState.REJECTED)) {
            return PigeonholeCli.REJECTED;
        }
        return client.pending().isEmpty() ? PigeonholeCli.OK : PigeonholeCli.STILL_QUEUED;
    }
}
