package dev.pigeonhole.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * Hostile input at the frame parsers: whatever arrives, parsing ends in a frame or a {@link ProtocolException}
 * with a code — never another exception — and valid frames always parse to what was sent.
 */
class FramesFuzzTest {
    private final Frames frames = new Frames(Frames.DEFAULT_MAX_BODY_BYTES);

    @Property(tries = 3000)
    void arbitraryTextNeverEscapesAsAnUnexpectedException(@ForAll("hostileText") String text) {
        assertCodedOrParsed(text);
    }

    @Property(tries = 2000)
    void everyTruncationOfAValidFrameIsRefusedWithACode(@ForAll("validSend") String frame, @ForAll @IntRange(min = 0, max = 400) int cut) {
        String truncated = frame.substring(0, Math.min(cut, frame.length() - 1));
        Outcome outcome = parseSend(truncated);
        assertThat(outcome.frame()).as(truncated).isNull();
        assertThat(outcome.code()).isIn(ErrorCode.MALFORMED_JSON, ErrorCode.UNKNOWN_TYPE, ErrorCode.INVALID_FIELD);
    }

    @Property(tries = 2000)
    void validFramesParseToWhatWasSent(@ForAll("ids") String id, @ForAll("names") String to, @ForAll("bodies") JsonNode body) {
        String text = "{\"type\":\"send\",\"id\":" + Json.write(id) + ",\"to\":" + Json.write(to) + ",\"body\":" + Json.write(body) + "}";
        Outcome outcome = parseSend(text);
        assertThat(outcome.code()).as(text).isNull();
        ClientFrame.Send send = outcome.frame();
        assertThat(send.id()).isEqualTo(id);
        assertThat(send.to()).isEqualTo(to);
        assertThat(send.body()).isEqualTo(body);
    }

    @Property(tries = 2000)
    void wronglyTypedFieldsGetInvalidField(@ForAll("ids") String id, @ForAll("wrongIdsAndNames") String value,
                                           @ForAll @IntRange(min = 0, max = 2) int field) {
        String idJson = field == 0 ? value : Json.write(id);
        String toJson = field == 1 ? value : "\"bob\"";
        String bodyJson = field == 2 ? "null" : "1";
        Outcome outcome = parseSend("{\"type\":\"send\",\"id\":" + idJson + ",\"to\":" + toJson + ",\"body\":" + bodyJson + "}");
        assertThat(outcome.code()).isEqualTo(ErrorCode.INVALID_FIELD);
        assertThat(outcome.id()).isEqualTo(field == 0 ? null : id);
    }

    @Property(tries = 1000)
    void acksOnlyAcceptNonNegativeIntegers(@ForAll("wrongSeqs") String seq) {
        Outcome outcome = parseInbox("{\"type\":\"ack\",\"seq\":" + seq + "}");
        assertThat(outcome.code()).isEqualTo(ErrorCode.INVALID_FIELD);
    }

    @Provide
    Arbitrary<String> hostileText() {
        Arbitrary<String> unicode = Arbitraries.strings().all().ofMaxLength(300);
        Arbitrary<String> jsonish = Arbitraries.strings().withChars("{}[]\":,\\ tnrufalse0123456789.eE+-").ofMaxLength(200);
        Arbitrary<String> fieldSoup = Combinators.combine(Arbitraries.of("type", "id", "to", "body", "seq", "\u0000", "ty\"pe"),
                Arbitraries.of("\"send\"", "\"ack\"", "null", "[]", "{}", "1e999", "-0", "\"\\ud800\"", "\"\u202e\"", "true",
                        "\"" + "a".repeat(200) + "\"", "\"group:\"", "9223372036854775808")).as((k, v) -> "{\"" + k + "\":" + v + "}");
        Arbitrary<String> deep = Arbitraries.integers().between(1, 5000).map(n -> "{\"type\":\"send\",\"id\":\"d\",\"to\":\"b\",\"body\":"
                + "[".repeat(n) + "]".repeat(n) + "}");
        Arbitrary<String> unbalanced = Arbitraries.integers().between(1, 5000).map(n -> "[".repeat(n));
        return Arbitraries.oneOf(unicode, jsonish, fieldSoup, deep, unbalanced);
    }

    @Provide
    Arbitrary<String> validSend() {
        return Combinators.combine(ids(), names(), bodies())
                .as((id, to, body) -> "{\"type\":\"send\",\"id\":" + Json.write(id) + ",\"to\":" + Json.write(to)
                        + ",\"body\":" + Json.write(body) + "}");
    }

    @Provide
    Arbitrary<String> ids() {
        return Arbitraries.strings().withCharRange('!', '~').ofMinLength(1).ofMaxLength(128);
    }

    @Provide
    Arbitrary<String> names() {
        return Arbitraries.strings().withCharRange('a', 'z').withCharRange('A', 'Z').withCharRange('0', '9')
                .withChars("._@-").ofMinLength(1).ofMaxLength(64);
    }

    @Provide
    Arbitrary<JsonNode> bodies() {
        Arbitrary<String> text = Arbitraries.strings().all().excludeChars('\ud800', '\udbff', '\udc00', '\udfff').ofMaxLength(100);
        Arbitrary<String> json = Arbitraries.oneOf(
                text.map(Json::write),
                Arbitraries.integers().map(String::valueOf),
                Arbitraries.bigDecimals().ofScale(30).map(d -> d.toPlainString()),
                Arbitraries.of("true", "false", "[]", "{}", "[1,[2,[3]]]", "{\"a\":{\"b\":[null,1.5e300]}}"),
                text.map(t -> "{\"text\":" + Json.write(t) + ",\"n\":[1,2,3]}"));
        return json.map(j -> Json.read(j, JsonNode.class));
    }

    /** JSON values that are neither a valid message id nor a valid recipient. */
    @Provide
    Arbitrary<String> wrongIdsAndNames() {
        return Arbitraries.of("1", "-1", "1.5", "true", "null", "[]", "{}", "\"\"", "\"has space\"", "\"tab\\there\"",
                "\"" + "x".repeat(200) + "\"", "99999999999999999999999", "\"\u00e9\"", "{\"id\":\"m\"}");
    }

    /** JSON values that are not a non-negative integer. */
    @Provide
    Arbitrary<String> wrongSeqs() {
        return Arbitraries.of("-1", "1.5", "true", "null", "[]", "{}", "\"3\"", "99999999999999999999999", "1e3");
    }

    private record Outcome(ClientFrame.Send frame, ErrorCode code, String id) {}

    private Outcome parseSend(String text) {
        try {
            return new Outcome(frames.parseSend(text), null, null);
        } catch (ProtocolException e) {
            return new Outcome(null, e.code(), e.id());
        }
    }

    private Outcome parseInbox(String text) {
        try {
            frames.parseInbox(text);
            return new Outcome(null, null, null);
        } catch (ProtocolException e) {
            return new Outcome(null, e.code(), e.id());
        }
    }

    private void assertCodedOrParsed(String text) {
        for (String candidate : List.of(text, "{\"type\":\"send\"," + text, "{\"type\":\"ack\",\"seq\":" + text + "}")) {
            try {
                frames.parseSend(candidate);
            } catch (ProtocolException e) {
                assertThat(e.code()).isNotNull();
                assertThat(e.getMessage()).isNotBlank();
            }
            try {
                frames.parseInbox(candidate);
            } catch (ProtocolException e) {
                assertThat(e.code()).isNotNull();
            }
        }
    }
}
