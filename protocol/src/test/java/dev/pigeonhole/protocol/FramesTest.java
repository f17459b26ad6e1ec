package dev.pigeonhole.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.TextNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class FramesTest {
    private final Frames frames = new Frames(100);

    @Test
    void parsesSend() throws Exception {
        ClientFrame f = frames.parse("{\"type\":\"send\",\"id\":\"m-1\",\"to\":\"bob\",\"body\":{\"text\":\"hi\"}}");
        assertThat(f).isInstanceOfSatisfying(ClientFrame.Send.class, s -> {
            assertThat(s.id()).isEqualTo("m-1");
            assertThat(s.to()).isEqualTo("bob");
            assertThat(s.body().get("text").textValue()).isEqualTo("hi");
        });
    }

    @Test
    void parsesGroupRecipientAndScalarBody() throws Exception {
        ClientFrame.Send s = (ClientFrame.Send) frames.parse("{\"type\":\"send\",\"id\":\"x\",\"to\":\"group:g1\",\"body\":42}");
        assertThat(s.to()).isEqualTo("group:g1");
        assertThat(s.body().intValue()).isEqualTo(42);
    }

    @Test
    void parsesAck() throws Exception {
        assertThat(frames.parse("{\"type\":\"ack\",\"seq\":500}")).isEqualTo(new ClientFrame.Ack(500));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "not json", "{", "[]", "42", "\"send\"", "null", "{\"type\":\"send\"} trailing",
            "{\"type\":\"send\",\"id\":\"a\",\"to\":\"b\",\"body\":1}{}"})
    void refusesMalformedJson(String text) {
        assertCode(text, ErrorCode.MALFORMED_JSON, null);
    }

    @ParameterizedTest
    @ValueSource(strings = {"{}", "{\"type\":1}", "{\"type\":\"sned\",\"id\":\"m\"}", "{\"type\":null}"})
    void refusesUnknownTypes(String text) {
        assertThatThrownBy(() -> frames.parse(text)).isInstanceOfSatisfying(ProtocolException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_TYPE));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"type\":\"send\",\"to\":\"bob\",\"body\":1}|",
            "{\"type\":\"send\",\"id\":7,\"to\":\"bob\",\"body\":1}|",
            "{\"type\":\"send\",\"id\":\"has space\",\"to\":\"bob\",\"body\":1}|",
            "{\"type\":\"send\",\"id\":\"m\",\"body\":1}|m",
            "{\"type\":\"send\",\"id\":\"m\",\"to\":\"a/b\",\"body\":1}|m",
            "{\"type\":\"send\",\"id\":\"m\",\"to\":\"group:\",\"body\":1}|m",
            "{\"type\":\"send\",\"id\":\"m\",\"to\":\"bob\"}|m",
            "{\"type\":\"send\",\"id\":\"m\",\"to\":\"bob\",\"body\":null}|m",
            "{\"type\":\"ack\"}|",
            "{\"type\":\"ack\",\"seq\":-1}|",
            "{\"type\":\"ack\",\"seq\":1.5}|",
            "{\"type\":\"ack\",\"seq\":\"3\"}|",
            "{\"type\":\"ack\",\"seq\":99999999999999999999999}|"})
    void refusesInvalidFieldsNamingTheIdWhenKnown(String text, String id) {
        assertCode(text, ErrorCode.INVALID_FIELD, id);
    }

    @Test
    void refusesOversizedBodyWithItsId() {
        String body = "\"" + "x".repeat(99) + "\""; // 101 bytes serialized
        assertCode("{\"type\":\"send\",\"id\":\"big\",\"to\":\"bob\",\"body\":" + body + "}", ErrorCode.TOO_LARGE, "big");
        String fits = "\"" + "x".repeat(98) + "\"";
        assertThat(parseQuietly("{\"type\":\"send\",\"id\":\"ok\",\"to\":\"bob\",\"body\":" + fits + "}")).isNotNull();
    }

    @Test
    void refusesDeepNesting() {
        String deep = "[".repeat(5000) + "]".repeat(5000);
        assertCode("{\"type\":\"send\",\"id\":\"d\",\"to\":\"bob\",\"body\":" + deep + "}", ErrorCode.MALFORMED_JSON, null);
    }

    @Test
    void encodesTypeFirstAndDecodesBack() {
        ServerFrame.Message m = new ServerFrame.Message(7, "m-1", "alice", "phone", "bob", new TextNode("hi"), 1234, false);
        String json = Frames.encode(m);
        assertThat(json).startsWith("{\"type\":\"message\",\"seq\":7,");
        assertThat(Frames.decodeServer(json)).isEqualTo(m);
        String rejected = Frames.encode(new ServerFrame.Rejected("m-2", ErrorCode.TOO_LARGE, "too big"));
        assertThat(rejected).isEqualTo(
                "{\"type\":\"rejected\",\"id\":\"m-2\",\"code\":\"too_large\",\"message\":\"too big\",\"retryable\":false}");
        assertThat(Frames.decodeServer(rejected)).isEqualTo(new ServerFrame.Rejected("m-2", ErrorCode.TOO_LARGE, "too big"));
        assertThat(Frames.encode(new ServerFrame.CaughtUp(5, 99))).isEqualTo("{\"type\":\"caught_up\",\"seq\":5,\"epoch\":99}");
        assertThat(Frames.decodeServer("{\"type\":\"from_the_future\",\"x\":1}")).isNull();
    }

    private ClientFrame parseQuietly(String text) {
        try {
            return frames.parse(text);
        } catch (ProtocolException e) {
            throw new AssertionError(e.code() + ": " + e.getMessage());
        }
    }

    private void assertCode(String text, ErrorCode code, String id) {
        assertThatThrownBy(() -> frames.parse(text)).isInstanceOfSatisfying(ProtocolException.class, e -> {
            assertThat(e.code()).as(e.getMessage()).isEqualTo(code);
            assertThat(e.id()).isEqualTo(id);
        });
    }
}
