package dev.pigeonhole.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pigeonhole.protocol.ErrorCode;
import dev.pigeonhole.protocol.Frames;
import dev.pigeonhole.protocol.ProtocolException;
import dev.pigeonhole.protocol.ServerFrame;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Thousands of generated hostile frames (jqwik arbitraries) at the live endpoints, beside valid traffic: every bad
 * frame gets exactly one coded answer, the hostile connections stay open, and every valid message is delivered
 * exactly once, in order.
 */
class HostileInputIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final int HOSTILE = 2500;
    private static final int VALID = 500;

    @RegisterExtension
    static final StandaloneExtension STACK = new StandaloneExtension("hostile-it");
    private static ServiceProcess pigeonhole;

    @BeforeAll
    static void stack() {
        pigeonhole = STACK.process();
    }

    @Test
    void hostileFramesGetCodedAnswersWhileValidTrafficLosesNothing() throws Exception {
        List<String> validIds = IntStream.range(0, VALID).mapToObj(i -> "ok-" + i).toList();
        CompletableFuture<Void> validTraffic = CompletableFuture.runAsync(() -> {
            try (TestSender good = new TestSender(pigeonhole.ws(""), "hv-good", "phone")) {
                for (String id : validIds) {
                    good.send(id, "hv-recipient", "{\"text\":\"" + id + "\"}");
                    ServiceProcess.sleep(10);
                }
                good.awaitReplies(validIds, 1, WAIT);
                assertThat(validIds).allMatch(id -> good.replies(id).equals(List.of(new ServerFrame.Accepted(id))));
            }
        });

        Map<ErrorCode, Integer> codes = new EnumMap<>(ErrorCode.class);
        int accepted = 0;
        try (TestSender mallory = new TestSender(pigeonhole.ws(""), "hv-mallory", "phone")) {
            List<String> samples = hostileFrames().sampleStream().limit(HOSTILE).toList();
            int errorsSeen = 0;
            for (int i = 0; i < samples.size(); i++) {
                String frame = samples.get(i);
                String id = idOf(frame);
                int before = id == null ? 0 : mallory.replies(id).size();
                mallory.sendRaw(frame);
                if (id != null) {
                    mallory.awaitReplies(List.of(id), before + 1, WAIT);
                    ServerFrame reply = mallory.replies(id).get(before);
                    if (reply instanceof ServerFrame.Rejected r) {
                        codes.merge(r.code(), 1, Integer::sum);
                    } else {
                        accepted++;
                    }
                } else {
                    ServerFrame.Error e = mallory.awaitError(WAIT);
                    codes.merge(e.code(), 1, Integer::sum);
                    errorsSeen++;
                }
            }
            assertThat(mallory.closed()).as("the hostile connection is still open").isNotDone();
            assertThat(errorsSeen).isPositive();
        }
        System.out.printf("hostile frames: %d, answered by code %s, accepted %d%n", HOSTILE, codes, accepted);
        assertThat(codes.keySet()).contains(ErrorCode.MALFORMED_JSON, ErrorCode.INVALID_FIELD, ErrorCode.UNKNOWN_TYPE);

        try (TestInbox eve = new TestInbox(pigeonhole.ws(""), "hv-eve", "phone", "after=0", false)) {
            eve.awaitCaughtUp(WAIT);
            List<String> samples = hostileFrames().sampleStream().limit(500).toList();
            int expectedErrors = 0;
            Frames frames = new Frames(Frames.DEFAULT_MAX_BODY_BYTES);
            for (String frame : samples) {
                try {
                    frames.parseInbox(frame);
                    expectedErrors++; // a well-formed ack: nothing was delivered, so invalid_ack
                } catch (ProtocolException e) {
                    expectedErrors++;
                }
                eve.sendRaw(frame);
            }
            int expected = expectedErrors;
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (eve.frames().stream().filter(f -> f instanceof ServerFrame.Error).count() < expected
                    && System.nanoTime() < deadline) {
                ServiceProcess.sleep(20);
            }
            assertThat(eve.frames().stream().filter(f -> f instanceof ServerFrame.Error).count()).isEqualTo(expected);
            assertThat(eve.closed()).isNotDone();
        }

        validTraffic.join();
        pigeonhole.awaitStored("hv-recipient", VALID, WAIT);
        try (TestInbox recipient = new TestInbox(pigeonhole.ws(""), "hv-recipient", "phone", "after=0&window=1024", true)) {
            assertThat(recipient.awaitCaughtUp(WAIT).seq()).isEqualTo(VALID);
            assertThat(recipient.messages()).extracting(ServerFrame.Message::id).containsExactlyElementsOf(validIds);
        }
    }

    /** The id the server will answer under: a valid message id in a frame that is a JSON object with one. */
    private static String idOf(String frame) {
        try {
            new Frames(Frames.DEFAULT_MAX_BODY_BYTES).parseSend(frame);
            return extractId(frame);
        } catch (ProtocolException e) {
            return e.id();
        }
    }

    private static String extractId(String frame) {
        return dev.pigeonhole.protocol.Json.read(frame, com.fasterxml.jackson.databind.JsonNode.class).get("id").asText();
    }

    /** Malformed, truncated, oversized, wrongly typed and unicode-edge frames, and a few valid ones. */
    private static Arbitrary<String> hostileFrames() {
        // Any text a WebSocket client can send (lone surrogates cannot be encoded as UTF-8, so no client sends them)
        Arbitrary<String> unicode = Arbitraries.strings().all().ofMaxLength(200)
                .filter(t -> t.codePoints().noneMatch(cp -> cp >= 0xD800 && cp <= 0xDFFF));
        Arbitrary<String> jsonish = Arbitraries.strings().withChars("{}[]\":,\\ tnrufalse0123456789.eE+-").ofMaxLength(120);
        Arbitrary<String> values = Arbitraries.of("\"send\"", "\"ack\"", "null", "[]", "{}", "1e999", "-0", "\"\\ud800\"",
                "\"\u202e\u0000\"", "true", "\"" + "a".repeat(130) + "\"", "\"group:x\"", "9223372036854775808", "\"bob\"",
                "\"m-1\"", "{\"text\":\"\uD83D\uDC26\"}");
        Arbitrary<String> fields = Combinators.combine(values, values, values, values)
                .as((t, id, to, body) -> "{\"type\":" + t + ",\"id\":" + id + ",\"to\":" + to + ",\"body\":" + body + "}");
        Arbitrary<String> truncated = Combinators.combine(Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(8),
                        Arbitraries.integers().between(0, 60))
                .as((id, cut) -> {
                    String full = "{\"type\":\"send\",\"id\":\"" + id + "\",\"to\":\"hv-victim\",\"body\":{\"text\":\"hi\"}}";
                    return full.substring(0, Math.min(cut, full.length() - 1));
                });
        Arbitrary<String> oversized = Arbitraries.integers().between(65_000, 90_000)
                .map(n -> "{\"type\":\"send\",\"id\":\"big-" + n + "\",\"to\":\"hv-victim\",\"body\":\"" + "x".repeat(n) + "\"}");
        Arbitrary<String> deep = Arbitraries.integers().between(30, 3000)
                .map(n -> "{\"type\":\"send\",\"id\":\"deep-" + n + "\",\"to\":\"hv-victim\",\"body\":" + "[".repeat(n) + "]".repeat(n) + "}");
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(4, unicode), net.jqwik.api.Tuple.of(4, jsonish), net.jqwik.api.Tuple.of(6, fields),
                net.jqwik.api.Tuple.of(3, truncated), net.jqwik.api.Tuple.of(1, oversized), net.jqwik.api.Tuple.of(2, deep));
    }
}
