package dev.pigeonhole.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Listener methods on an executor the app supplies: a pool, still one call at a time, in order, at least once. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ListenerExecutorTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void callbacksRunOnTheAppsPoolOneAtATimeInOrderAndAreAckedAfterTheyReturn() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4, r -> new Thread(r, "app-pool"));
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger maxInside = new AtomicInteger();
        List<Long> seqs = new CopyOnWriteArrayList<>();
        List<String> threads = new CopyOnWriteArrayList<>();
        CountDownLatch firstMayReturn = new CountDownLatch(1);
        CountDownLatch firstEntered = new CountDownLatch(1);
        try (FakeWsServer server = new FakeWsServer(0);
             PigeonholeClient client = PigeonholeClient.start(ClientOptions.builder(URI.create(server.url()), "alice", "phone")
                     .pingInterval(Duration.ofSeconds(2)).listenerExecutor(pool).build(), new Listener() {
                 @Override
                 public void onMessage(IncomingMessage m) {
                     maxInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
                     threads.add(Thread.currentThread().getName());
                     if (m.seq() == 1) {
                         firstEntered.countDown();
                         await(firstMayReturn);
                     }
                     sleep(2);
                     seqs.add(m.seq());
                     inside.decrementAndGet();
                 }
             })) {
            FakeWsServer.Connection inbox = server.accept("/v1/inbox", WAIT);
            inbox.send(LocalStoreClientTest.backlog(30, 7));
            for (int seq = 1; seq <= 30; seq++) {
                inbox.send(LocalStoreClientTest.message(seq, "bob", "m" + seq));
            }
            assertThat(firstEntered.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(inbox.poll(Duration.ofMillis(400))).as("nothing acked while the listener is in seq 1").isNull();
            firstMayReturn.countDown();
            long acked = 0;
            while (acked < 30) {
                String ack = inbox.next("\"ack\"", WAIT);
                acked = Long.parseLong(ack.replaceAll(".*\"seq\":(\\d+).*", "$1"));
                assertThat(seqs.size()).as("acked only what the listener finished").isGreaterThanOrEqualTo((int) acked);
            }
            assertThat(seqs).containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, 30).boxed().toList());
            assertThat(maxInside.get()).as("one call at a time").isEqualTo(1);
            assertThat(threads).containsOnly("app-pool");
        } finally {
            pool.shutdownNow();
        }
    }

    /** An Android app closing on its main thread, which is also the listener's executor. */
    @Test
    void closeOnTheExecutorsOnlyThreadReturnsAndTheStoreClosesAfterwards() throws Exception {
        ExecutorService ui = Executors.newSingleThreadExecutor(r -> new Thread(r, "ui"));
        try (FakeWsServer server = new FakeWsServer(0)) {
            PigeonholeClient client = ui.submit(() -> PigeonholeClient.start(ClientOptions.builder(
                    URI.create(server.url()), "alice", "phone").listenerExecutor(ui).build(), new Listener() {})).get();
            server.accept("/v1/inbox", WAIT);
            long millis = ui.submit(() -> {
                long start = System.nanoTime();
                client.close();
                return (System.nanoTime() - start) / 1_000_000;
            }).get(10, TimeUnit.SECONDS);
            assertThat(millis).as("close() on the ui thread").isLessThan(3000);
            boolean closed = false;
            for (int i = 0; i < 100 && !closed; i++) {
                closed = ui.submit(() -> {
                    try {
                        client.history(1);
                        return false;
                    } catch (ClientClosedException e) {
                        return true;
                    }
                }).get(10, TimeUnit.SECONDS);
                Thread.sleep(20);
            }
            assertThat(closed).as("the store closed once the ui thread ran the queued callbacks").isTrue();
        } finally {
            ui.shutdownNow();
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
