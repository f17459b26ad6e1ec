package com.example.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.pigeonhole.client.ClientOptions;
import dev.pigeonhole.client.IncomingMessage;
import dev.pigeonhole.client.Listener;
import dev.pigeonhole.client.Outgoing;
import dev.pigeonhole.client.PigeonholeClient;
import dev.pigeonhole.client.SendState;
import dev.pigeonhole.testkit.PigeonholeContainer;
import java.net.URI;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ChatIT {
    // one Pigeonhole (Kafka + all services) for the whole class; withDevIdentity(): ?user=&device=, no tokens
    static final PigeonholeContainer pigeonhole = new PigeonholeContainer().withDevIdentity();

    @BeforeAll
    static void start() {
        pigeonhole.start();
    }

    @AfterAll
    static void stop() {
        pigeonhole.stop();
    }

    @Test
    void bobGetsWhatAliceSentWhileHeWasOffline() throws Exception {
        URI server = URI.create(pigeonhole.wsUrl());
        // replace the clients with your application's code under test
        try (PigeonholeClient alice = PigeonholeClient.start(
                ClientOptions.builder(server, "alice", "phone").build(), new Listener() { })) {
            Outgoing sent = alice.sendText("bob", "lunch at noon?");
            assertEquals(SendState.ACCEPTED, sent.settled().toCompletableFuture().get(30, TimeUnit.SECONDS).state());
        }

        BlockingQueue<IncomingMessage> inbox = new LinkedBlockingQueue<>();
        try (PigeonholeClient bob = PigeonholeClient.start(
                ClientOptions.builder(server, "bob", "laptop").build(), new Listener() {
                    @Override
                    public void onMessage(IncomingMessage message) {
                        inbox.add(message);
                    }
                })) {
            IncomingMessage received = inbox.poll(30, TimeUnit.SECONDS);
            assertNotNull(received, "nothing arrived within 30 s");
            assertEquals("alice", received.from());
            assertEquals("lunch at noon?", received.text());
        }
    }
}
