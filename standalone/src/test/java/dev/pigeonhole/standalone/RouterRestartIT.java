package dev.pigeonhole.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pigeonhole.protocol.ServerFrame;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The router is killed (SIGKILL) and later stopped (SIGTERM) while messages flow and the recipient is online:
 * nothing is lost, nothing duplicated, order kept (exactly-once processing, durable accept, cursor resume). The
 * restarted router is not ready until it has caught up.
 */
class RouterRestartIT {
    private static final int N = 1500;

    @Test
    void restartingTheRouterWhileMessagesFlowLosesAndDuplicatesNothing() {
        try (Cluster cluster = Cluster.start("router-restart-it")) {
            ServiceProcess router = cluster.router("router");
            ServiceProcess gateway = cluster.gateway("gateway");
            ServiceProcess delivery = cluster.delivery("delivery-0", router);
            Cluster.startAll(router, gateway, delivery);

            List<String> ids = IntStream.rangeClosed(1, N).mapToObj(i -> "k-" + i).toList();
            try (TestInbox bob = new TestInbox(delivery.ws(""), "bob", "phone", "after=0", true);
                 TestSender alice = new TestSender(gateway.ws(""), "alice", "phone")) {
                bob.awaitCaughtUp(Duration.ofSeconds(30));
                CompletableFuture<Void> restarts = null;
                for (int i = 1; i <= N; i++) {
                    alice.send(ids.get(i - 1), "bob", OfflineDeliveryIT.body(i));
                    if (i == 500) {
                        router.kill();
                        restarts = CompletableFuture.runAsync(() -> notReadyUntilCaughtUp(router.start()));
                    }
                    if (i == 1000) {
                        restarts.join();
                        router.stop();
                        restarts = CompletableFuture.runAsync(() -> router.start().awaitReady(Duration.ofSeconds(120)));
                    }
                    ServiceProcess.sleep(i % 10 == 0 ? 10 : 0);
                }
                alice.awaitReplies(ids, 1, Duration.ofSeconds(60));
                assertThat(ids).allMatch(id -> alice.replies(id).equals(List.of(new ServerFrame.Accepted(id))));
                restarts.join();

                bob.awaitMessages(N, Duration.ofSeconds(120));
                ServiceProcess.sleep(500);
                assertThat(bob.seqs()).containsExactlyElementsOf(OfflineDeliveryIT.range(1, N));
                assertThat(bob.messages()).extracting(ServerFrame.Message::id).containsExactlyElementsOf(ids);
                assertThat(bob.closed()).as("bob's connection stayed up").isNotDone();
            }
        }
    }

    /**
     * Readiness answers DOWN (the killed instance's member still holds the group, so no task is assigned for seconds)
     * before it answers UP, caught up: running, nothing restoring.
     */
    private static void notReadyUntilCaughtUp(ServiceProcess router) {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        HttpResponse<String> first;
        while ((first = router.managementGet("/q/health/ready")) == null) {
            assertThat(System.nanoTime()).as("the management port answers").isLessThan(deadline);
            ServiceProcess.sleep(50);
        }
        assertThat(first.statusCode()).as(first.body()).isEqualTo(503);
        assertThat(first.body()).containsPattern("\"pigeonhole-router-caught-up\",\\s*\"status\"\\s*:\\s*\"DOWN\"");
        router.awaitReady(Duration.ofSeconds(120));
        String ready = router.managementGet("/q/health/ready").body();
        assertThat(ready).containsPattern("\"caughtUp\"\\s*:\\s*true").containsPattern("\"restoring\"\\s*:\\s*0");
    }
}
