package dev.pigeonhole.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pigeonhole.protocol.ErrorCode;
import dev.pigeonhole.protocol.Frames;
import dev.pigeonhole.protocol.ProtocolException;
import dev.pigeonhole.protocol.ServerFrame;
import dev.pigeonhole.protocol.Fuzz;
import dev.pigeonhole.protocol.Fuzz.Gen;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Thousands of generated hostile frames at the live endpoints, beside valid traffic: every bad frame gets exactly
 * one coded answer, the hostile connections stay open, and every valid message is delivered exactly once, in order.
 *
 * <p>The frames come from seeded generators ({@link Fuzz}): the same every run unless {@code -Dfuzz.seed=<long>}
 * picks others; failures name the seed (and the frame, where one frame is at fault).
 */
class HostileInputIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final int HOSTILE = 2500;
    private static final int VALID = 500;
    private static final int HOSTILE_INBOX = 500;

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

        long seed = Fuzz.seed();
        String seedNote = " (fuzz.seed=" + seed + ", rerun with -Dfuzz.seed=" + seed + ")";
        Map<ErrorCode, Integer> codes = new EnumMap<>(ErrorCode.class);
        int accepted = 0;
        try (TestSender mallory = new TestSender(pigeonhole.ws(""), "hv-mallory", "phone")) {
            List<String> samples = sample(Fuzz.random("HostileInputIT.send"), HOSTILE);
            int errorsSeen = 0;
            for (int i = 0; i < samples.size(); i++) {
                String frame = samples.get(i);
                try {
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
                } catch (AssertionError | RuntimeException e) {
                    throw new AssertionError("hostile send frame " + (i + 1) + " of " + HOSTILE + seedNote
                            + ": " + Fuzz.describe(frame), e);
                }
            }
            assertThat(mallory.closed()).as("the hostile connection is still open" + seedNote).isNotDone();
            assertThat(errorsSeen).as("connection errors" + seedNote).isPositive();
        }
        System.out.printf("hostile frames: %d, answered by code %s, accepted %d (fuzz.seed=%d)%n", HOSTILE, codes, accepted, seed);
        assertThat(codes.keySet()).as("codes answered" + seedNote)
                .contains(ErrorCode.MALFORMED_JSON, ErrorCode.INVALID_FIELD, ErrorCode.UNKNOWN_TYPE);

        try (TestInbox eve = new TestInbox(pigeonhole.ws(""), "hv-eve", "phone", "after=0", false)) {
            eve.awaitCaughtUp(WAIT);
            List<String> samples = sample(Fuzz.random("HostileInputIT.inbox"), HOSTILE_INBOX);
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
            assertThat(eve.frames().stream().filter(f -> f instanceof ServerFrame.Error).count())
                    .as("error frames for " + expected + " hostile inbox frames" + seedNote).isEqualTo(expected);
            assertThat(eve.closed()).as("the hostile inbox connection is still open" + seedNote).isNotDone();
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

    /** {@code count} frames of {@link #hostileFrames()}, drawn from {@code random}. */
    private static List<String> sample(SplittableRandom random, int count) {
        Gen<String> frames = hostileFrames();
        return Stream.generate(() -> frames.next(random)).limit(count).toList();
    }

    /** Malformed, truncated, oversized, wrongly typed and unicode-edge frames, and a few valid ones. */
    private static Gen<String> hostileFrames() {
        // Any text a WebSocket client can send (lone surrogates cannot be encoded as UTF-8, so no client sends them)
        Gen<String> unicode = Gen.text(0, 200, false);
        Gen<String> jsonish = Gen.strings(Gen.chars("{}[]\":,\\ tnrufalse0123456789.eE+-"), 0, 120);
        Gen<String> values = Gen.of("\"send\"", "\"ack\"", "null", "[]", "{}", "1e999", "-0", "\"\\ud800\"",
                "\"\u202e\u0000\"", "true", "\"" + "a".repeat(130) + "\"", "\"group:x\"", "9223372036854775808", "\"bob\"",
                "\"m-1\"", "{\"text\":\"\uD83D\uDC26\"}");
        Gen<String> fields = r -> "{\"type\":" + values.next(r) + ",\"id\":" + values.next(r) + ",\"to\":" + values.next(r)
                + ",\"body\":" + values.next(r) + "}";
        Gen<String> truncatedIds = Gen.strings(Gen.charRange('a', 'z'), 1, 8);
        Gen<Integer> cuts = Gen.ints(0, 60);
        Gen<String> truncated = r -> {
            String full = "{\"type\":\"send\",\"id\":\"" + truncatedIds.next(r) + "\",\"to\":\"hv-victim\",\"body\":{\"text\":\"hi\"}}";
            return full.substring(0, Math.min(cuts.next(r), full.length() - 1));
        };
        Gen<String> oversized = Gen.ints(65_000, 90_000)
                .map(n -> "{\"type\":\"send\",\"id\":\"big-" + n + "\",\"to\":\"hv-victim\",\"body\":\"" + "x".repeat(n) + "\"}");
        Gen<String> deep = Gen.ints(30, 3000)
                .map(n -> "{\"type\":\"send\",\"id\":\"deep-" + n + "\",\"to\":\"hv-victim\",\"body\":" + "[".repeat(n) + "]".repeat(n) + "}");
        return Gen.frequency(List.of(
                Gen.weighted(4, unicode), Gen.weighted(4, jsonish), Gen.weighted(6, fields),
                Gen.weighted(3, truncated), Gen.weighted(1, oversized), Gen.weighted(2, deep)));
    }
}
