package dev.pigeonhole.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pigeonhole.protocol.CloseCode;
import dev.pigeonhole.protocol.ErrorCode;
import dev.pigeonhole.protocol.ServerFrame;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** S11: bad frames get coded errors; the connection and every good message carry on. */
class BadInputIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    @RegisterExtension
    static final StandaloneExtension STACK = new StandaloneExtension("bad-input-it");
    private static ServiceProcess pigeonhole;

    @BeforeAll
    static void stack() {
        pigeonhole = STACK.process();
    }

    @Test
    void badSendFramesAreRefusedWithCodesAndTheSameConnectionKeepsWorking() throws Exception {
        try (TestSender mallory = new TestSender(pigeonhole.ws(""), "mallory", "phone")) {
            mallory.send("ok-1", "victor", "{\"n\":1}");

            mallory.sendRaw("this is not json");
            assertError(mallory.awaitError(WAIT), ErrorCode.MALFORMED_JSON);
            mallory.sendRaw("[1,2,3]");
            assertError(mallory.awaitError(WAIT), ErrorCode.MALFORMED_JSON);
            mallory.sendRaw("{\"type\":\"send\",\"to\":\"victor\",\"body\":1}");
            assertError(mallory.awaitError(WAIT), ErrorCode.INVALID_FIELD);
            mallory.sendRaw("{\"type\":\"ack\",\"seq\":1}");
            assertError(mallory.awaitError(WAIT), ErrorCode.UNKNOWN_TYPE);
            mallory.sendRaw("{\"type\":\"send\",\"id\":\"no-to\",\"body\":1}");
            assertRejected(mallory.awaitReply("no-to", WAIT), ErrorCode.INVALID_FIELD);
            mallory.sendRaw("{\"type\":\"send\",\"id\":\"no-body\",\"to\":\"victor\"}");
            assertRejected(mallory.awaitReply("no-body", WAIT), ErrorCode.INVALID_FIELD);
            mallory.sendRaw("{\"type\":\"send\",\"id\":\"bad-to\",\"to\":\"vic tor\",\"body\":1}");
            assertRejected(mallory.awaitReply("bad-to", WAIT), ErrorCode.INVALID_FIELD);
            mallory.sendRaw("{\"type\":\"send\",\"id\":\"typed\",\"to\":42,\"body\":1}");
            assertRejected(mallory.awaitReply("typed", WAIT), ErrorCode.INVALID_FIELD);
            mallory.sendRaw("{\"type\":\"shout\",\"id\":\"unknown\"}");
            assertRejected(mallory.awaitReply("unknown", WAIT), ErrorCode.UNKNOWN_TYPE);
            mallory.send("group", "group:friends", "1");
            assertRejected(mallory.awaitReply("group", WAIT), ErrorCode.NOT_FOUND); // no such group
            mallory.send("big", "victor", "\"" + "x".repeat(70_000) + "\"");
            assertRejected(mallory.awaitReply("big", WAIT), ErrorCode.TOO_LARGE);
            mallory.sendRaw("{\"type\":\"send\",\"id\":\"deep\",\"to\":\"victor\",\"body\":" + "[".repeat(1000) + "]".repeat(1000) + "}");
            assertError(mallory.awaitError(WAIT), ErrorCode.MALFORMED_JSON);
            mallory.sendRaw("{\"type\":\"send\",\"id\":\"twice\",\"to\":\"victor\",\"to\":\"mallory\",\"body\":1}");
            assertError(mallory.awaitError(WAIT), ErrorCode.MALFORMED_JSON);
            mallory.sendRaw("{\"type\":\"send\",\"id\":\"\u00e9t\u00e9\",\"to\":\"victor\",\"body\":1}");
            assertError(mallory.awaitError(WAIT), ErrorCode.INVALID_FIELD);

            mallory.send("ok-2", "victor", "{\"n\":2,\"text\":\"\u00e9t\u00e9 \ud83d\udc26\"}");
            int depth = dev.pigeonhole.protocol.Frames.MAX_DEPTH - 1; // the deepest body accepted
            mallory.send("ok-3", "victor", "[".repeat(depth) + "0.10000000000000000000001" + "]".repeat(depth));
            assertThat(mallory.awaitReply("ok-1", WAIT)).isEqualTo(new ServerFrame.Accepted("ok-1"));
            assertThat(mallory.awaitReply("ok-2", WAIT)).isEqualTo(new ServerFrame.Accepted("ok-2"));
            assertThat(mallory.awaitReply("ok-3", WAIT)).isEqualTo(new ServerFrame.Accepted("ok-3"));
            assertThat(mallory.closed()).isNotDone();
        }

        pigeonhole.awaitStored("victor", 3, WAIT);
        try (TestInbox victor = new TestInbox(pigeonhole.ws(""), "victor", "phone", "after=0", true)) {
            assertThat(victor.awaitCaughtUp(WAIT).seq()).isEqualTo(3);
            assertThat(victor.messages()).extracting(ServerFrame.Message::id).containsExactly("ok-1", "ok-2", "ok-3");
            assertThat(victor.messages().get(1).body().get("text").textValue()).isEqualTo("\u00e9t\u00e9 \ud83d\udc26");
            com.fasterxml.jackson.databind.JsonNode deep = victor.messages().get(2).body();
            assertThat(deep.at("/0".repeat(dev.pigeonhole.protocol.Frames.MAX_DEPTH - 1)).decimalValue())
                    .isEqualByComparingTo("0.10000000000000000000001");
        }
    }

    @Test
    void aMessageAboveTheTransportLimitClosesOnlyThatConnection() throws Exception {
        TestSender huge = new TestSender(pigeonhole.ws(""), "mallory", "laptop");
        huge.sendRaw("{\"type\":\"send\",\"id\":\"huge\",\"to\":\"victor\",\"body\":\"" + "x".repeat(2_000_000) + "\"}");
        assertThat(huge.closed().get(10, TimeUnit.SECONDS)).isEqualTo(CloseCode.MESSAGE_TOO_BIG.code());

        try (TestSender next = new TestSender(pigeonhole.ws(""), "mallory", "laptop")) {
            next.send("after-huge", "wendy", "1");
            assertThat(next.awaitReply("after-huge", WAIT)).isEqualTo(new ServerFrame.Accepted("after-huge"));
        }
    }

    @Test
    void inboxRefusesMissingIdentityAndBadParametersWithCloseCodes() throws Exception {
        assertThat(closeCode("/v1/inbox?after=0")).isEqualTo(CloseCode.UNAUTHORIZED.code());
        assertThat(closeCode("/v1/inbox?user=bob&device=a%2Fb")).isEqualTo(CloseCode.UNAUTHORIZED.code());
        assertThat(closeCode("/v1/inbox?user=bob&device=x&after=abc")).isEqualTo(CloseCode.BAD_REQUEST.code());
        assertThat(closeCode("/v1/inbox?user=bob&device=x&after=-1")).isEqualTo(CloseCode.BAD_REQUEST.code());
        assertThat(closeCode("/v1/inbox?user=bob&device=x&window=0")).isEqualTo(CloseCode.BAD_REQUEST.code());
        assertThat(closeCode("/v1/send?device=x")).isEqualTo(CloseCode.UNAUTHORIZED.code());
    }

    @Test
    void badInboxFramesGetErrorsAndTheStreamCarriesOn() throws Exception {
        try (TestSender sam = new TestSender(pigeonhole.ws(""), "sam", "phone")) {
            for (int i = 1; i <= 3; i++) {
                sam.send("t-" + i, "tina", "" + i);
            }
            sam.awaitReplies(List.of("t-1", "t-2", "t-3"), 1, WAIT);
        }
        pigeonhole.awaitStored("tina", 3, WAIT);
        try (TestInbox tina = new TestInbox(pigeonhole.ws(""), "tina", "phone", "after=0", false)) {
            tina.awaitCaughtUp(WAIT);
            tina.sendRaw("garbage");
            tina.sendRaw("{\"type\":\"ack\",\"seq\":99}");
            tina.sendRaw("{\"type\":\"send\",\"id\":\"x\",\"to\":\"sam\",\"body\":1}");
            tina.ack(3);
            waitForFrames(tina, 1 + 3 + 1 + 3); // backlog, three messages, caught_up, three errors
            List<ServerFrame> frames = tina.frames();
            assertThat(frames.get(0)).isEqualTo(new ServerFrame.Backlog(3, 1L, ((ServerFrame.Message) frames.get(1)).sentAt(),
                    3, ((ServerFrame.CaughtUp) frames.get(4)).epoch(), null));
            assertThat(frames.subList(5, 8)).extracting(f -> ((ServerFrame.Error) f).code())
                    .containsExactly(ErrorCode.MALFORMED_JSON, ErrorCode.INVALID_ACK, ErrorCode.UNKNOWN_TYPE);
            assertThat(tina.closed()).isNotDone();
        }
        try (TestSender sam = new TestSender(pigeonhole.ws(""), "sam", "phone")) {
            sam.send("t-4", "tina", "4");
            sam.awaitReplies(List.of("t-4"), 1, WAIT);
        }
        pigeonhole.awaitStored("tina", 4, WAIT);
        pigeonhole.awaitCursor("tina", "phone", 3, WAIT);
        try (TestInbox tina = new TestInbox(pigeonhole.ws(""), "tina", "phone", "", true)) {
            tina.awaitCaughtUp(WAIT);
            assertThat(tina.seqs()).containsExactly(4L); // the ack of 3 was kept
        }
    }

    @Test
    void httpSendsGetStatusCodesAndCodedBodies() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        assertThat(post(http, "/v1/messages?user=ann&device=pc", "{\"id\":\"h-1\",\"to\":\"ben\",\"body\":{}}"))
                .isEqualTo("202 {\"type\":\"accepted\",\"id\":\"h-1\"}");
        assertThat(post(http, "/v1/messages?user=ann&device=pc", "{\"id\":\"h-2\",\"to\":\"ben\"}"))
                .startsWith("400 {\"type\":\"rejected\",\"id\":\"h-2\",\"code\":\"invalid_field\"");
        assertThat(post(http, "/v1/messages?user=ann&device=pc", "nope"))
                .startsWith("400 {\"type\":\"error\",\"code\":\"malformed_json\"");
        assertThat(post(http, "/v1/messages?user=ann&device=pc", "{\"id\":\"h-3\",\"to\":\"ben\",\"body\":\"" + "y".repeat(70_000) + "\"}"))
                .startsWith("413 {\"type\":\"rejected\",\"id\":\"h-3\",\"code\":\"too_large\"");
        assertThat(post(http, "/v1/messages", "{\"id\":\"h-4\",\"to\":\"ben\",\"body\":1}"))
                .startsWith("401 {\"type\":\"error\",\"code\":\"unauthorized\"");
    }

    private static String post(HttpClient http, String path, String body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(pigeonhole.http(path)))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        return r.statusCode() + " " + r.body();
    }

    private static int closeCode(String pathAndQuery) throws Exception {
        java.util.concurrent.CompletableFuture<Integer> code = new java.util.concurrent.CompletableFuture<>();
        WsConnection.open(HttpClient.newHttpClient(), URI.create(pigeonhole.ws(pathAndQuery)),
                Duration.ofSeconds(5), new WsConnection.Handler() {
                    @Override
                    public void onFrame(ServerFrame frame) {
                    }

                    @Override
                    public void onClose(int status, String reason) {
                        code.complete(status);
                    }
                }).join();
        return code.get(10, TimeUnit.SECONDS);
    }

    private static void waitForFrames(TestInbox inbox, int count) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (inbox.frames().size() < count) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("got " + inbox.frames() + ", expected " + count + " frames");
            }
            ServiceProcess.sleep(10);
        }
    }

    private static void assertError(ServerFrame.Error e, ErrorCode code) {
        assertThat(e.code()).as(e.message()).isEqualTo(code);
        assertThat(e.message()).isNotBlank();
    }

    private static void assertRejected(ServerFrame frame, ErrorCode code) {
        assertThat(frame).isInstanceOfSatisfying(ServerFrame.Rejected.class, r -> {
            assertThat(r.code()).as(r.message()).isEqualTo(code);
            assertThat(r.retryable()).isFalse();
        });
    }
}
