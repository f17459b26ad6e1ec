package dev.pigeonhole.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pigeonhole.protocol.ServerFrame;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A reconnect storm in small: a burst of connects far beyond what the instance lets open at once
 * ({@code max-opening}). The refused upgrades are answered 503 with a {@code Retry-After}, and every client that
 * honours it gets in and receives what waited for it, once.
 */
class ReconnectStormIT {
    private static final int CLIENTS = 200;
    private static final Duration WAIT = Duration.ofSeconds(90);

    @RegisterExtension
    static final StandaloneExtension STACK = new StandaloneExtension("storm-it", props());

    private static Map<String, String> props() {
        Map<String, String> p = new TreeMap<>(ServiceProcess.GENEROUS_LIMITS);
        p.put("pigeonhole.delivery.max-opening", "4");
        return p;
    }

    @Test
    void aBurstBeyondMaxOpeningIsShedWithRetryAfterAndEveryClientThatHonoursItGetsIn() throws Exception {
        ServiceProcess stack = STACK.process();
        List<String> ids = IntStream.range(0, CLIENTS).mapToObj(i -> "storm-" + i).toList();
        try (TestSender alice = new TestSender(stack.ws(""), "storm-alice", "phone")) {
            for (int i = 0; i < CLIENTS; i++) {
                alice.send(ids.get(i), "storm-user-" + i, "\"for " + i + "\"");
            }
            alice.awaitReplies(ids, 1, WAIT);
        }

        ConcurrentLinkedQueue<Duration> retryAfters = new ConcurrentLinkedQueue<>();
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        List<Future<TestInbox>> inboxes = new ArrayList<>();
        try {
            for (int i = 0; i < CLIENTS; i++) {
                String user = "storm-user-" + i;
                inboxes.add(pool.submit(() -> {
                    go.await();
                    long deadline = System.nanoTime() + WAIT.toNanos();
                    while (true) {
                        try {
                            return new TestInbox(stack.ws(""), user, "d", "", true);
                        } catch (CompletionException refused) {
                            Duration retryAfter = WsConnection.retryAfter(refused);
                            assertThat(retryAfter).as("a refused upgrade says when to come back: " + refused).isNotNull();
                            assertThat(System.nanoTime()).as(user + " still refused after " + WAIT).isLessThan(deadline);
                            retryAfters.add(retryAfter);
                            Thread.sleep(retryAfter.toMillis());
                        }
                    }
                }));
            }
            long start = System.nanoTime();
            go.countDown();
            List<TestInbox> opened = new ArrayList<>();
            for (Future<TestInbox> f : inboxes) {
                opened.add(f.get());
            }
            System.out.printf("storm: %d clients in %.1f s, %d refusals%n", CLIENTS, (System.nanoTime() - start) / 1e9,
                    retryAfters.size());
            for (int i = 0; i < CLIENTS; i++) {
                TestInbox inbox = opened.get(i);
                assertThat(inbox.awaitCaughtUp(WAIT).seq()).isEqualTo(1);
                assertThat(inbox.messages()).extracting(ServerFrame.Message::id).containsExactly(ids.get(i));
                inbox.close();
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(retryAfters).as("the burst went beyond max-opening").isNotEmpty()
                .allSatisfy(d -> assertThat(d).isBetween(Duration.ofSeconds(1), Duration.ofSeconds(5)));
        assertThat(stack.metric("pigeonhole_delivery_shed_total")).as("every refusal is counted")
                .isEqualTo(retryAfters.size());
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (stack.metric("pigeonhole_delivery_opening") != 0 && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertThat(stack.metric("pigeonhole_delivery_opening")).as("nothing left counted as opening").isZero();
    }
}
