package dev.pigeonhole.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.ThrowingSupplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class FramesTest {
    private final Frames frames = new Frames(100);

    @Test
    void parsesSend() throws Exception {
        ClientFrame.Send s = frames.parseSend("{\"type\":\"send\",\"id\":\"m-1\",\"to\":\"bob\",\"body\":{\"text\":\"hi\"}}");
        assertThat(s.id()).isEqualTo("m-1");
        assertThat(s.to()).isEqualTo("bob");
        assertThat(s.body()).isEqualTo("{\"text\":\"hi\"}");
    }

    @Test
    void parsesGroupRecipientAndScalarBody() throws Exception {
        ClientFrame.Send s = frames.parseSend("{\"type\":\"send\",\"id\":\"x\",\"to\":\"group:g1\",\"body\":42}");
        assertThat(s.to()).isEqualTo("group:g1");
        assertThat(s.body()).isEqualTo("42");
    }

    @Test
    void parsesAckAndHttpSendBody() throws Exception {
        assertThat(frames.parseInbox("{\"type\":\"ack\",\"seq\":500}")).isEqualTo(new ClientFrame.Ack(500));
        assertThat(frames.parseSendBody("{\"id\":\"h\",\"to\":\"bob\",\"body\":true}").id()).isEqualTo("h");
    }

    @Test
    void pingIsAcceptedOnBothEndpointsAndPongEncodesAndDecodes() throws Exception {
        assertThat(frames.parseSendSocket("{\"type\":\"ping\"}")).isEqualTo(ClientFrame.Ping.INSTANCE);
        assertThat(frames.parseInbox("{\"type\":\"ping\"}")).isEqualTo(ClientFrame.Ping.INSTANCE);
        // unknown fields are ignored, as in every client frame; the pong echoes nothing
        assertThat(frames.parseSendSocket("{\"type\":\"ping\",\"id\":\"m-1\",\"x\":[1]}")).isEqualTo(ClientFrame.Ping.INSTANCE);
        assertThat(frames.parseInbox("{\"x\":{},\"type\":\"ping\"}")).isEqualTo(ClientFrame.Ping.INSTANCE);
        // the socket parser still reads sends as parseSend does
        assertThat(frames.parseSendSocket("{\"type\":\"send\",\"id\":\"m-1\",\"to\":\"bob\",\"body\":1}"))
                .isEqualTo(frames.parseSend("{\"type\":\"send\",\"id\":\"m-1\",\"to\":\"bob\",\"body\":1}"));
        assertThat(Frames.encode(ServerFrame.Pong.INSTANCE)).isEqualTo("{\"type\":\"pong\"}").isEqualTo(ServerFrame.Pong.TEXT);
        assertThat(Frames.decodeServer("{\"type\":\"pong\"}")).isEqualTo(ServerFrame.Pong.INSTANCE);
        assertThat(Frames.decodeServer("{\"type\":\"pong\",\"newer\":1}")).isEqualTo(ServerFrame.Pong.INSTANCE);
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"type\":\"ping\",\"type\":\"ping\"}", "{\"type\":\"ping\"} x", "[\"ping\"]",
            "{\"type\":\"ping\",\"x\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}"})
    void pingIsReadAsStrictlyAsAnyFrame(String text) {
        assertCode(() -> frames.parseSendSocket(text), ErrorCode.MALFORMED_JSON, null);
        assertCode(() -> frames.parseInbox(text), ErrorCode.MALFORMED_JSON, null);
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"type\":\"PING\"}", "{\"type\":\"pong\"}", "{\"ping\":true}"})
    void onlyTheExactPingTypeIsAPing(String text) {
        assertCode(() -> frames.parseSendSocket(text), ErrorCode.UNKNOWN_TYPE, null);
        assertCode(() -> frames.parseInbox(text), ErrorCode.UNKNOWN_TYPE, null);
        assertCode(() -> frames.parseSend("{\"type\":\"ping\"}"), ErrorCode.UNKNOWN_TYPE, null); // sends only
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "not json", "{", "[]", "42", "\"send\"", "null", "{\"type\":\"send\"} trailing",
            "{\"type\":\"send\",\"id\":\"a\",\"to\":\"b\",\"body\":1}{}",
            "{\"type\":\"send\",\"id\":\"a\",\"to\":\"b\",\"to\":\"c\",\"body\":1}"})
    void refusesMalformedJson(String text) {
        assertCode(() -> frames.parseSend(text), ErrorCode.MALFORMED_JSON, null);
        assertCode(() -> frames.parseInbox(text), ErrorCode.MALFORMED_JSON, null);
    }

    @ParameterizedTest
    @ValueSource(strings = {"{}", "{\"type\":1}", "{\"type\":\"sned\"}", "{\"type\":null}", "{\"type\":\"ack\",\"seq\":1}"})
    void sendEndpointRefusesOtherTypes(String text) {
        assertCode(() -> frames.parseSend(text), ErrorCode.UNKNOWN_TYPE, null);
    }

    @Test
    void unknownTypeWithAnIdIsRejectedUnderThatId() {
        assertCode(() -> frames.parseSend("{\"type\":\"shout\",\"id\":\"m-9\"}"), ErrorCode.UNKNOWN_TYPE, "m-9");
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"type\":\"send\",\"id\":\"m\",\"to\":\"bob\",\"body\":1}",
            "{\"type\":\"send\",\"id\":\"m\",\"to\":\"bob\",\"body\":\"" + "x" + "\",\"huge\":1}", "{}"})
    void inboxEndpointRefusesEverythingButAckReadAndFetch(String text) {
        assertThatThrownBy(() -> frames.parseInbox(text)).isInstanceOfSatisfying(ProtocolException.class,
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
            "{\"type\":\"send\",\"id\":\"m\",\"to\":\"bob\",\"body\":null}|m"})
    void refusesInvalidSendFieldsNamingTheIdWhenKnown(String text, String id) {
        assertCode(() -> frames.parseSend(text), ErrorCode.INVALID_FIELD, id);
    }

    @Test
    void parsesReadMarkersAndFetches() throws Exception {
        assertThat(frames.parseInbox("{\"type\":\"read\",\"seq\":7}")).isEqualTo(new ClientFrame.Read(7));
        assertThat(frames.parseInbox("{\"type\":\"fetch\",\"from\":3,\"to\":9}")).isEqualTo(new ClientFrame.Fetch(3, 9));
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"type\":\"fetch\",\"from\":0,\"to\":9}", "{\"type\":\"fetch\",\"from\":5,\"to\":4}",
            "{\"type\":\"fetch\",\"from\":5}", "{\"type\":\"read\",\"seq\":-2}"})
    void refusesInvalidReadsAndFetches(String text) {
        assertCode(() -> frames.parseInbox(text), ErrorCode.INVALID_FIELD, null);
    }

    @Test
    void decodesEveryEntryFrameAServerSends() {
        ServerFrame.Receipt receipt = new ServerFrame.Receipt(4, "bob", ServerFrame.Receipt.Status.DELIVERED,
                java.util.List.of(new ServerFrame.Receipt.Item("m-1", "bob", 2, 3)), 99);
        ServerFrame.Undelivered undelivered = new ServerFrame.Undelivered(5, "bob", "expired",
                java.util.List.of(new ServerFrame.Undelivered.Item("m-2", "bob", 98)), 99);
        ServerFrame.History history = new ServerFrame.History(4, 5, 4, java.util.List.of(receipt, undelivered));
        for (ServerFrame f : java.util.List.of(receipt, undelivered, history, new ServerFrame.Gap(1, 3, "trimmed"),
                new ServerFrame.Backlog(10, 4L, 1000L, 13, 77, new ServerFrame.Range(4, 8)))) {
            assertThat(Frames.decodeServer(Frames.encode(f))).isEqualTo(f);
        }
        assertThat(Frames.encode(receipt)).isEqualTo("{\"type\":\"receipt\",\"seq\":4,\"by\":\"bob\",\"status\":\"delivered\","
                + "\"messages\":[{\"id\":\"m-1\",\"to\":\"bob\",\"devices\":2,\"of\":3}],\"at\":99}");
        assertThat(Frames.encode(new ServerFrame.Backlog(0, null, null, 13, 77, null)))
                .isEqualTo("{\"type\":\"backlog\",\"count\":0,\"head\":13,\"epoch\":77}");
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"type\":\"ack\"}", "{\"type\":\"ack\",\"seq\":-1}", "{\"type\":\"ack\",\"seq\":1.5}",
            "{\"type\":\"ack\",\"seq\":\"3\"}", "{\"type\":\"ack\",\"seq\":99999999999999999999999}"})
    void refusesInvalidAcks(String text) {
        assertCode(() -> frames.parseInbox(text), ErrorCode.INVALID_FIELD, null);
    }

    @Test
    void refusesOversizedBodyWithItsId() throws Exception {
        String body = "\"" + "x".repeat(99) + "\""; // 101 bytes serialized
        assertCode(() -> frames.parseSend("{\"type\":\"send\",\"id\":\"big\",\"to\":\"bob\",\"body\":" + body + "}"),
                ErrorCode.TOO_LARGE, "big");
        String fits = "\"" + "x".repeat(98) + "\"";
        assertThat(frames.parseSend("{\"type\":\"send\",\"id\":\"ok\",\"to\":\"bob\",\"body\":" + fits + "}").id()).isEqualTo("ok");
    }

    @Test
    void nestingIsLimitedAndABodyAtTheLimitSurvivesInternalWrapping() throws Exception {
        int bodyDepth = Frames.MAX_DEPTH - 1; // the frame object is one level
        Frames roomy = new Frames(1_000_000);
        String deepest = "[".repeat(bodyDepth) + "]".repeat(bodyDepth);
        ClientFrame.Send s = roomy.parseSend("{\"type\":\"send\",\"id\":\"d\",\"to\":\"bob\",\"body\":" + deepest + "}");
        // The body is later wrapped (routed record, page -> entries -> entry) and read back by Json.MAPPER.
        String wrapped = "{\"a\":[{\"b\":{\"c\":" + s.body() + "}}]}";
        assertThat(Json.read(wrapped, JsonNode.class).at("/a/0/b/c")).isEqualTo(Json.read(s.body(), JsonNode.class));

        String tooDeep = "[".repeat(bodyDepth + 1) + "]".repeat(bodyDepth + 1);
        assertCode(() -> roomy.parseSend("{\"type\":\"send\",\"id\":\"d\",\"to\":\"bob\",\"body\":" + tooDeep + "}"),
                ErrorCode.MALFORMED_JSON, null);
        String hostile = "[".repeat(100_000);
        assertCode(() -> roomy.parseSend("{\"type\":\"send\",\"id\":\"d\",\"to\":\"bob\",\"body\":" + hostile + "}"),
                ErrorCode.MALFORMED_JSON, null);
    }

    @Test
    void numbersKeepTheirExactValue() throws Exception {
        ClientFrame.Send s = frames.parseSend(
                "{\"type\":\"send\",\"id\":\"n\",\"to\":\"bob\",\"body\":[0.10000000000000000000001,1e400,12345678901234567890123]}");
        JsonNode roundTrip = Json.read(s.body(), JsonNode.class);
        assertThat(roundTrip.get(0).decimalValue()).isEqualByComparingTo("0.10000000000000000000001");
        assertThat(roundTrip.get(1).decimalValue()).isEqualByComparingTo("1e400");
        assertThat(roundTrip.get(2).bigIntegerValue()).hasToString("12345678901234567890123");
    }

    @Test
    void theBodyIsCarriedExactlyAsTheClientWroteIt() throws Exception {
        String body = "{ \"text\" : \"h\\u00e9 \u2028\", \"n\": 1.50, \"big\": 1e400 }";
        assertThat(frames.parseSend("{\"type\":\"send\",\"id\":\"r\",\"to\":\"bob\",\"body\":" + body + " }").body())
                .isEqualTo(body);
        assertThat(frames.parseSend("{\"body\":\"x\\\"y\",\"type\":\"send\",\"id\":\"r\",\"to\":\"bob\"}").body())
                .isEqualTo("\"x\\\"y\"");
    }

    @Test
    void aNumberOverTheParsersLengthLimitIsNamedAsSuch() {
        String digits = "1".repeat(2000);
        assertThatThrownBy(() -> frames.parseSend("{\"type\":\"send\",\"id\":\"n\",\"to\":\"bob\",\"body\":" + digits + "}"))
                .isInstanceOfSatisfying(ProtocolException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_JSON);
                    assertThat(e.getMessage()).contains("number").doesNotContain("nests");
                });
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

    @Test
    void shadowRequestsAreParsedOnTheInboxSocket() throws ProtocolException {
        ClientFrame f = frames.parseInbox("{\"type\":\"shadow_update\",\"thing\":\"thermostat\",\"clientToken\":\"c-1\","
                + "\"version\":3,\"state\":{\"desired\":{\"temperature\":21},\"reported\":null}}");
        assertThat(f).isInstanceOfSatisfying(ClientFrame.Shadow.class, s -> {
            assertThat(s.op()).isEqualTo(ClientFrame.ShadowOp.UPDATE);
            assertThat(s.name()).isEmpty();
            assertThat(s.version()).isEqualTo(3L);
            assertThat(s.state().path("reported").isNull()).isTrue();
            assertThat(s.state().path("desired").path("temperature").asInt()).isEqualTo(21);
        });
        assertThat(frames.parseInbox("{\"type\":\"shadow_get\",\"thing\":\"t\",\"name\":\"config\"}"))
                .isEqualTo(new ClientFrame.Shadow(ClientFrame.ShadowOp.GET, "t", "config", null, null, null, null));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"type\":\"shadow_get\",\"clientToken\":\"c\"}|invalid_field|thing",
            "{\"type\":\"shadow_get\",\"thing\":\"a/b\",\"clientToken\":\"c\"}|invalid_field|thing",
            "{\"type\":\"shadow_get\",\"thing\":\"t\",\"name\":7,\"clientToken\":\"c\"}|invalid_field|name",
            "{\"type\":\"shadow_update\",\"thing\":\"t\",\"clientToken\":\"c\"}|invalid_field|state",
            "{\"type\":\"shadow_update\",\"thing\":\"t\",\"clientToken\":\"c\",\"state\":{\"delta\":{}}}|invalid_field|delta",
            "{\"type\":\"shadow_update\",\"thing\":\"t\",\"clientToken\":\"c\",\"state\":{\"desired\":5}}|invalid_field|desired",
            "{\"type\":\"shadow_delete\",\"thing\":\"t\",\"clientToken\":\"c\",\"version\":-1}|invalid_field|version",
            "{\"type\":\"shadow_delete\",\"thing\":\"t\",\"clientToken\":\"c\",\"owner\":5}|invalid_field|owner",
    })
    void aBadShadowRequestIsRejectedWithItsClientToken(String frame, String code, String field) {
        assertThatThrownBy(() -> frames.parseInbox(frame)).isInstanceOfSatisfying(ShadowFrameException.class, e -> {
            assertThat(e.rejection().code().wire()).isEqualTo(code);
            assertThat(e.rejection().clientToken()).isEqualTo("c");
            assertThat(e.rejection().message()).contains(field);
        });
    }

    @Test
    void aShadowRequestOverTheLimitIsTooLarge() {
        String big = "{\"type\":\"shadow_update\",\"thing\":\"t\",\"state\":{\"desired\":{\"x\":\""
                + "y".repeat(Frames.MAX_SHADOW_REQUEST) + "\"}}}";
        assertThatThrownBy(() -> new Frames(Frames.DEFAULT_MAX_BODY_BYTES).parseInbox(big))
                .isInstanceOfSatisfying(ShadowFrameException.class,
                        e -> assertThat(e.rejection().code()).isEqualTo(ErrorCode.TOO_LARGE));
        assertThatThrownBy(() -> Frames.parseShadowHttp(ClientFrame.ShadowOp.UPDATE, "t", null, null, null, big))
                .isInstanceOfSatisfying(ShadowFrameException.class,
                        e -> assertThat(e.rejection().code()).isEqualTo(ErrorCode.TOO_LARGE));
    }

    private static final String REF = "sha256:" + "0f".repeat(32);

    private ClientFrame.Send sendWith(String attachments) throws ProtocolException {
        return new Frames(100_000).parseSend("{\"type\":\"send\",\"id\":\"m-1\",\"to\":\"bob\",\"body\":{},\"attachments\":"
                + attachments + "}");
    }

    @Test
    void attachmentsAreReadAndValidated() throws Exception {
        String preview = java.util.Base64.getEncoder().encodeToString(new byte[8192]);
        ClientFrame.Send s = sendWith("[{\"ref\":\"" + REF + "\",\"size\":12,\"type\":\"image/jpeg\",\"name\":\"p.jpg\",\"preview\":\""
                + preview + "\"},{\"ref\":\"" + REF + "\",\"size\":0,\"type\":\"text/plain\"}]");
        assertThat(s.attachments()).containsExactly(new ClientFrame.Attachment(REF, 12, "image/jpeg", "p.jpg", preview),
                new ClientFrame.Attachment(REF, 0, "text/plain", null, null));
        assertThat(Json.write(s.attachments().get(1))).isEqualTo("{\"ref\":\"" + REF + "\",\"size\":0,\"type\":\"text/plain\"}");
        assertThat(frames.parseSend("{\"type\":\"send\",\"id\":\"m\",\"to\":\"bob\",\"body\":1}").attachments()).isEmpty();
        assertThat(sendWith("null").attachments()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{}", "\"x\"", "[1]", "[{}]",
            "[{\"ref\":\"sha256:0F\",\"size\":1,\"type\":\"a/b\"}]",
            "[{\"ref\":\"REF\",\"size\":-1,\"type\":\"a/b\"}]",
            "[{\"ref\":\"REF\",\"size\":1.5,\"type\":\"a/b\"}]",
            "[{\"ref\":\"REF\",\"size\":\"1\",\"type\":\"a/b\"}]",
            "[{\"ref\":\"REF\",\"size\":1}]",
            "[{\"ref\":\"REF\",\"size\":1,\"type\":\"jpeg\"}]",
            "[{\"ref\":\"REF\",\"size\":1,\"type\":\"a/b\",\"name\":\"\"}]",
            "[{\"ref\":\"REF\",\"size\":1,\"type\":\"a/b\",\"preview\":\"not base64!\"}]",
            "[{\"ref\":\"REF\",\"size\":1,\"type\":\"a/b\",\"extra\":1}]",
            "BIG_PREVIEW", "ELEVEN"})
    void malformedAttachmentsAreInvalidField(String attachments) {
        String one = "{\"ref\":\"" + REF + "\",\"size\":1,\"type\":\"a/b\"}";
        String text = switch (attachments) {
            case "BIG_PREVIEW" -> "[{\"ref\":\"" + REF + "\",\"size\":1,\"type\":\"a/b\",\"preview\":\""
                    + java.util.Base64.getEncoder().encodeToString(new byte[8193]) + "\"}]";
            case "ELEVEN" -> "[" + String.join(",", java.util.Collections.nCopies(11, one)) + "]";
            default -> attachments.replace("REF", REF);
        };
        assertCode(() -> sendWith(text), ErrorCode.INVALID_FIELD, "m-1");
    }

    private static void assertCode(ThrowingSupplier<?> parse, ErrorCode code, String id) {
        assertThatThrownBy(parse::get).isInstanceOfSatisfying(ProtocolException.class, e -> {
            assertThat(e.code()).as(e.getMessage()).isEqualTo(code);
            assertThat(e.id()).isEqualTo(id);
        });
    }
}
