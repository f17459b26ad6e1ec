package dev.pigeonhole.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pigeonhole.protocol.ServerFrame;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Retention is never silent (S5): with inboxes capped at five entries, a device behind the removed entries gets a
 * {@code gap} frame, and the sender learns which of its messages no device of the recipient ever received.
 */
class RetentionIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    @RegisterExtension
    static final StandaloneExtension STACK = new StandaloneExtension("retention-it", props());

    private static Map<String, String> props() {
        Map<String, String> p = new TreeMap<>(ServiceProcess.GENEROUS_LIMITS);
        p.put("pigeonhole.router.retention.max-entries", "5");
        p.put("pigeonhole.router.retention.check-interval", "PT0.5S");
        return p;
    }

    @Test
    void aDeviceBehindTrimmedEntriesGetsAGapAndTheSenderAnUndeliveredNotice() throws Exception {
        ServiceProcess pigeonhole = STACK.process();
        List<String> ids = IntStream.rangeClosed(1, 8).mapToObj(i -> "m-" + i).toList();
        // The sender's inbox is capped at five entries too: its device listens live, so each notice reaches it
        // as it is appended, whatever is trimmed after.
        try (TestInbox senderInbox = new TestInbox(pigeonhole.ws(""), "rt-sender", "phone", "", true);
             TestSender sender = new TestSender(pigeonhole.ws(""), "rt-sender", "phone")) {
            senderInbox.awaitCaughtUp(WAIT);
            ids.forEach(id -> sender.send(id, "rt", "\"" + id + "\""));
            sender.awaitReplies(ids, 1, WAIT);
            pigeonhole.awaitStored("rt", 8, WAIT);
            // the inbox is trimmed as the sixth, seventh and eighth message come in: one notice each
            java.util.function.Supplier<List<ServerFrame.Undelivered>> notices = () -> senderInbox.frames().stream()
                    .filter(f -> f instanceof ServerFrame.Undelivered).map(f -> (ServerFrame.Undelivered) f).toList();
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (notices.get().size() < 3 && System.nanoTime() < deadline) {
                ServiceProcess.sleep(20);
            }
            assertThat(notices.get()).allMatch(n -> n.recipient().equals("rt") && n.reason().equals("trimmed"));
            assertThat(notices.get()).flatExtracting(ServerFrame.Undelivered::messages).extracting(ServerFrame.Undelivered.Item::id)
                    .containsExactly("m-1", "m-2", "m-3");
        }
        try (TestInbox rt = new TestInbox(pigeonhole.ws(""), "rt", "phone", "", true)) {
            rt.awaitCaughtUp(WAIT);
            List<ServerFrame> frames = rt.frames();
            assertThat(frames.get(0)).isInstanceOfSatisfying(ServerFrame.Backlog.class, b -> {
                assertThat(b.count()).isEqualTo(5);
                assertThat(b.oldest()).isEqualTo(4L);
            });
            assertThat(frames.get(1)).isEqualTo(new ServerFrame.Gap(1, 3, "trimmed"));
            assertThat(rt.messages()).extracting(ServerFrame.Message::id).containsExactly("m-4", "m-5", "m-6", "m-7", "m-8");
        }
        // the end of the gap counts as acked: the device resumes after it without a second gap
        pigeonhole.awaitCursor("rt", "phone", 8, WAIT);
        try (TestInbox again = new TestInbox(pigeonhole.ws(""), "rt", "phone", "", true)) {
            again.awaitCaughtUp(WAIT);
            assertThat(again.frames()).noneMatch(f -> f instanceof ServerFrame.Gap);
        }
    }
}
