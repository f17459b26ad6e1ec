package dev.pigeonhole.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pigeonhole.protocol.ClientFrame;
import dev.pigeonhole.protocol.CloseCode;
import dev.pigeonhole.protocol.ErrorCode;
import dev.pigeonhole.protocol.Frames;
import dev.pigeonhole.protocol.Json;
import dev.pigeonhole.protocol.ProtocolException;
import dev.pigeonhole.protocol.ServerFrame;
import dev.pigeonhole.protocol.ShadowFrameException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The fixtures (conformance/fixtures) cannot drift: they hold every frame type, error code and close code of
 * docs/protocol.md and nothing else, and the Java protocol module parses them as they say.
 */
class FixturesTest {
    private static final Path FIXTURES = Path.of("fixtures");
    private static final Path PROTOCOL_MD = Path.of("..", "docs", "protocol.md");
    private final Frames frames = new Frames(Frames.DEFAULT_MAX_BODY_BYTES);

    @Test
    void everyFrameTypeOfProtocolMdHasAFixtureFileAndNoOther() throws IOException {
        Set<String> documented = new TreeSet<>();
        Matcher m = Pattern.compile("\"type\":\"([a-z_]+)\"").matcher(Files.readString(PROTOCOL_MD));
        while (m.find()) {
            documented.add(m.group(1));
        }
        Set<String> fixtures = new TreeSet<>();
        fixtures.addAll(types("client"));
        fixtures.addAll(types("server"));
        assertThat(documented).hasSizeGreaterThan(15);
        assertThat(fixtures).isEqualTo(documented);
    }

    @Test
    void errorCodesMatchProtocolMdAndTheProtocolModule() throws IOException {
        Map<String, Boolean> documented = table("## Error codes", "^\\| `([a-z_]+)` \\| (yes|no) \\|")
                .entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().equals("yes"),
                        (a, b) -> a, TreeMap::new));
        Map<String, Boolean> fixtures = new TreeMap<>();
        for (JsonNode c : read(FIXTURES.resolve("errors.json")).get("codes")) {
            fixtures.put(c.get("code").asText(), c.get("retryable").asBoolean());
            assertThat(c.get("final").asBoolean()).as(c.toString()).isEqualTo(!c.get("retryable").asBoolean());
        }
        Map<String, Boolean> module = Arrays.stream(ErrorCode.values())
                .collect(Collectors.toMap(ErrorCode::wire, ErrorCode::retryable, (a, b) -> a, TreeMap::new));
        assertThat(documented).hasSizeGreaterThan(10);
        assertThat(fixtures).isEqualTo(documented).isEqualTo(module);
    }

    @Test
    void closeCodesMatchProtocolMdAndTheProtocolModule() throws IOException {
        Map<String, String> documented = table("## Close codes", "^\\| (\\d{4}) \\| ([^|]+?) \\|");
        Map<String, String> fixtures = new TreeMap<>();
        for (JsonNode c : read(FIXTURES.resolve("close-codes.json")).get("codes")) {
            int code = c.get("code").asInt();
            fixtures.put(String.valueOf(code), c.get("name").asText());
            // the range the protocol module gives the code (4100-4199: do not reconnect without a change)
            boolean reconnectRange = Arrays.stream(CloseCode.values()).filter(x -> x.code() == code).findFirst()
                    .orElseThrow(() -> new AssertionError(code + " is not in CloseCode")).reconnect();
            assertThat(c.get("range").asText()).as(c.toString()).isEqualTo(reconnectRange ? "reconnect" : "stop");
            assertThat(CloseCode.reconnectAllowed(code)).isEqualTo(reconnectRange);
            // only 4102 reconnects from the stop range, after dropping its cursor
            assertThat(c.get("reconnect").asBoolean()).as(c.toString()).isEqualTo(reconnectRange || code == 4102);
        }
        assertThat(documented).hasSizeGreaterThan(15);
        assertThat(fixtures).isEqualTo(documented);
        assertThat(fixtures.keySet()).isEqualTo(Arrays.stream(CloseCode.values()).map(c -> String.valueOf(c.code()))
                .collect(Collectors.toCollection(TreeSet::new)));
    }

    @Test
    void validClientFramesParseAndInvalidOnesGetTheirCode() throws Exception {
        for (Path f : files("client")) {
            JsonNode spec = read(f);
            // "endpoint": one path, or a list of both (ping)
            java.util.List<String> endpoints = spec.get("endpoint").isArray()
                    ? Json.MAPPER.convertValue(spec.get("endpoint"), new com.fasterxml.jackson.core.type.TypeReference<java.util.List<String>>() {})
                    : java.util.List.of(spec.get("endpoint").asText());
            assertThat(endpoints).as(f.toString()).isNotEmpty().isSubsetOf("/v1/send", "/v1/inbox");
            for (String endpoint : endpoints) {
                checkClientFrames(f, spec, endpoint.equals("/v1/send"));
            }
        }
    }

    /** {@code send}: the parser of the /v1/send socket (send or ping), else that of /v1/inbox. */
    private void checkClientFrames(Path f, JsonNode spec, boolean send) throws Exception {
        for (JsonNode v : spec.get("valid")) {
            String text = Json.write(v.get("frame"));
            assertThat(v.get("frame").get("type").asText()).isEqualTo(spec.get("type").asText());
            ClientFrame parsed = send ? frames.parseSendSocket(text) : frames.parseInbox(text);
            assertThat(parsed).as(text).isNotNull();
            if (parsed instanceof ClientFrame.Send s) {
                assertThat(s.id()).isEqualTo(v.get("frame").get("id").asText());
            }
            assertThat(parsed instanceof ClientFrame.Ping).as(text).isEqualTo(spec.get("type").asText().equals("ping"));
        }
        assertThat(spec.get("invalid")).as(f + " has invalid examples").isNotEmpty();
        for (JsonNode v : spec.get("invalid")) {
            String text = v.has("text") ? v.get("text").asText() : Json.write(v.get("frame"));
            ProtocolException e = catchThrowableOfType(ProtocolException.class,
                    () -> {
                        if (send) {
                            frames.parseSendSocket(text);
                        } else {
                            frames.parseInbox(text);
                        }
                    });
            assertThat(e).as(f.getFileName() + ": " + abbreviate(text) + " is refused").isNotNull();
            assertThat(e.code().wire()).as(abbreviate(text)).isEqualTo(v.get("code").asText());
            // /v1/send answers "rejected" when it could read an id; /v1/inbox answers "error" (shadow requests: shadow_rejected)
            String answer = e instanceof ShadowFrameException ? "shadow_rejected" : send && e.id() != null ? "rejected" : "error";
            assertThat(answer).as(abbreviate(text)).isEqualTo(v.get("answer").asText());
        }
    }

    @Test
    void serverFramesDecodeToTheirTypeAlsoWithFieldsFromANewerServer() throws IOException {
        Map<String, Class<?>> records = new LinkedHashMap<>();
        for (Class<?> c : ServerFrame.class.getPermittedSubclasses()) {
            records.put(c.getSimpleName(), c);
        }
        for (Path f : files("server")) {
            JsonNode spec = read(f);
            for (String kind : new String[] {"valid", "tolerate"}) {
                assertThat(spec.get(kind)).as(f + " " + kind).isNotEmpty();
                for (JsonNode v : spec.get(kind)) {
                    assertThat(v.get("type").asText()).isEqualTo(spec.get("type").asText());
                    ServerFrame decoded = Frames.decodeServer(Json.write(v));
                    assertThat(decoded).as(v.toString()).isNotNull();
                    assertThat(decoded.getClass().getSimpleName().replaceAll("([a-z])([A-Z])", "$1_$2").toLowerCase())
                            .isEqualTo(spec.get("type").asText());
                }
            }
        }
        assertThat(Frames.decodeServer("{\"type\":\"announcement\",\"text\":\"newer server\"}"))
                .as("an unknown frame type is skipped, not an error").isNull();
        assertThatThrownBy(() -> Frames.decodeServer("[1]")).isInstanceOf(IllegalArgumentException.class);
    }

    private static Set<String> types(String side) throws IOException {
        Set<String> out = new TreeSet<>();
        for (Path f : files(side)) {
            String type = read(f).get("type").asText();
            assertThat(f.getFileName().toString()).isEqualTo(type + ".json");
            out.add(type);
        }
        return out;
    }

    private static java.util.List<Path> files(String side) throws IOException {
        try (Stream<Path> s = Files.list(FIXTURES.resolve("frames").resolve(side))) {
            return s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
    }

    /** Rows of the markdown table under {@code heading}: first column → second. */
    private static Map<String, String> table(String heading, String row) throws IOException {
        String md = Files.readString(PROTOCOL_MD);
        int start = md.indexOf("\n" + heading + "\n");
        assertThat(start).as(heading).isPositive();
        int end = md.indexOf("\n## ", start + 1);
        Map<String, String> out = new TreeMap<>();
        Matcher m = Pattern.compile(row, Pattern.MULTILINE).matcher(md.substring(start, end < 0 ? md.length() : end));
        while (m.find()) {
            out.put(m.group(1), m.group(2).trim());
        }
        return out;
    }

    private static JsonNode read(Path p) throws IOException {
        return Json.MAPPER.readTree(Files.readString(p));
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 80) + "…";
    }
}
