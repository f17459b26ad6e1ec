package dev.pigeonhole.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses client frames and encodes server frames. Parsing never throws anything but
 * {@link ProtocolException}, whose code says what was wrong; it is safe on arbitrary input.
 *
 * <p>Client frames are read strictly: one JSON object, no trailing data, no duplicate field names, nesting at
 * most {@link #MAX_DEPTH} deep (so a body survives being wrapped in internal records, which {@link Json} reads
 * with the library's much higher limit).
 */
public final class Frames {
    /** Default limit on the serialized size of a send body (64 KiB). */
    public static final int DEFAULT_MAX_BODY_BYTES = 64 * 1024;
    /** Deepest nesting of a client frame, the frame object included. */
    public static final int MAX_DEPTH = 32;

    private static final ObjectReader CLIENT_READER = Json.configure(JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    .build()))
            .build().reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final ObjectReader SERVER_READER =
            Json.MAPPER.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final int maxBodyBytes;

    public Frames(int maxBodyBytes) {
        if (maxBodyBytes <= 0) {
            throw new IllegalArgumentException("maxBodyBytes must be positive");
        }
        this.maxBodyBytes = maxBodyBytes;
    }

    public int maxBodyBytes() {
        return maxBodyBytes;
    }

    /** Parses a frame of {@code /v1/send}: only {@code send} is accepted there. */
    public ClientFrame.Send parseSend(String text) throws ProtocolException {
        JsonNode node = readObject(text);
        requireType(node, "send", "/v1/send");
        return send(node);
    }

    /** Parses a send made over HTTP: the same fields as a {@code send} frame, {@code type} optional. */
    public ClientFrame.Send parseSendBody(String text) throws ProtocolException {
        JsonNode node = readObject(text);
        if (node.has("type")) {
            requireType(node, "send", "POST /v1/messages");
        }
        return send(node);
    }

    /** Parses a frame of {@code /v1/inbox}: {@code ack}, {@code read} or {@code fetch}. */
    public ClientFrame parseInbox(String text) throws ProtocolException {
        JsonNode node = readObject(text);
        JsonNode type = node.get("type");
        String name = type != null && type.isTextual() ? type.textValue() : null;
        if ("read".equals(name)) {
            return new ClientFrame.Read(seq(node, "seq"));
        }
        if ("fetch".equals(name)) {
            long from = seq(node, "from");
            long to = seq(node, "to");
            if (from < 1 || to < from) {
                throw new ProtocolException(ErrorCode.INVALID_FIELD, "fetch needs 1 <= from <= to", null);
            }
            return new ClientFrame.Fetch(from, to);
        }
        if (!"ack".equals(name)) {
            requireType(node, "ack", "/v1/inbox (ack, read, fetch)");
        }
        return new ClientFrame.Ack(seq(node, "seq"));
    }

    private static void requireType(JsonNode node, String expected, String endpoint) throws ProtocolException {
        JsonNode type = node.get("type");
        if (type == null || !type.isTextual()) {
            throw new ProtocolException(ErrorCode.UNKNOWN_TYPE, "field 'type' is required and must be a string",
                    idOf(node));
        }
        if (!expected.equals(type.textValue())) {
            throw new ProtocolException(ErrorCode.UNKNOWN_TYPE, "frame type '" + abbreviate(type.textValue())
                    + "' is not accepted on " + endpoint + " (only '" + expected + "')", idOf(node));
        }
    }

    public static String encode(ServerFrame frame) {
        return Json.write(frame);
    }

    /**
     * Decodes a server frame (for clients). Unknown frame types give {@code null} so that a client keeps
     * working when a newer server adds frames.
     *
     * @throws IllegalArgumentException if the text is not a JSON object with a string {@code type}
     */
    public static ServerFrame decodeServer(String text) {
        try {
            JsonNode node = SERVER_READER.readTree(text);
            JsonNode type = node == null ? null : node.get("type");
            if (type == null || !type.isTextual()) {
                throw new IllegalArgumentException("server frame without type");
            }
            Class<? extends ServerFrame> cls = switch (type.textValue()) {
                case "accepted" -> ServerFrame.Accepted.class;
                case "rejected" -> ServerFrame.Rejected.class;
                case "error" -> ServerFrame.Error.class;
                case "message" -> ServerFrame.Message.class;
                case "caught_up" -> ServerFrame.CaughtUp.class;
                case "backlog" -> ServerFrame.Backlog.class;
                case "gap" -> ServerFrame.Gap.class;
                case "receipt" -> ServerFrame.Receipt.class;
                case "undelivered" -> ServerFrame.Undelivered.class;
                case "history" -> ServerFrame.History.class;
                default -> null;
            };
            if (cls == ServerFrame.History.class) {
                List<ServerFrame.Entry> entries = new ArrayList<>();
                for (JsonNode e : node.path("entries")) {
                    if (decodeServer(e.toString()) instanceof ServerFrame.Entry entry) {
                        entries.add(entry);
                    }
                }
                return new ServerFrame.History(node.path("from").asLong(), node.path("to").asLong(),
                        node.path("oldest").asLong(), entries);
            }
            return cls == null ? null : Json.MAPPER.treeToValue(node, cls);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("invalid server frame: " + e.getOriginalMessage(), e);
        }
    }

    private ClientFrame.Send send(JsonNode node) throws ProtocolException {
        JsonNode idNode = node.get("id");
        if (idNode == null || !idNode.isTextual() || !Ids.validMessageId(idNode.textValue())) {
            throw new ProtocolException(ErrorCode.INVALID_FIELD,
                    "field 'id' is required: 1-" + Ids.MAX_MESSAGE_ID_LENGTH + " printable ASCII characters", null);
        }
        String id = idNode.textValue();
        JsonNode to = node.get("to");
        if (to == null || !to.isTextual() || !Ids.validRecipient(to.textValue())) {
            throw new ProtocolException(ErrorCode.INVALID_FIELD,
                    "field 'to' is required: a user id or group:<id> (1-64 of A-Z a-z 0-9 . _ @ -)", id);
        }
        JsonNode body = node.get("body");
        if (body == null || body.isNull() || body.isMissingNode()) {
            throw new ProtocolException(ErrorCode.INVALID_FIELD, "field 'body' is required (any JSON value but null)", id);
        }
        int size = Json.writeBytes(body).length;
        if (size > maxBodyBytes) {
            throw new ProtocolException(ErrorCode.TOO_LARGE,
                    "body is " + size + " bytes; the limit is " + maxBodyBytes, id);
        }
        return new ClientFrame.Send(id, to.textValue(), body);
    }

    private static long seq(JsonNode node, String field) throws ProtocolException {
        JsonNode seq = node.get(field);
        if (seq == null || !seq.isIntegralNumber() || !seq.canConvertToLong() || seq.longValue() < 0) {
            throw new ProtocolException(ErrorCode.INVALID_FIELD, "field '" + field + "' is required: an integer >= 0", null);
        }
        return seq.longValue();
    }

    private static JsonNode readObject(String text) throws ProtocolException {
        JsonNode node;
        try {
            node = CLIENT_READER.readTree(text);
        } catch (StreamConstraintsException e) {
            throw new ProtocolException(ErrorCode.MALFORMED_JSON, "frame nests deeper than " + MAX_DEPTH + " levels", null);
        } catch (JsonProcessingException e) {
            String detail = e.getOriginalMessage() != null && e.getOriginalMessage().startsWith("Duplicate field")
                    ? "frame repeats a field name" : "frame is not valid JSON";
            throw new ProtocolException(ErrorCode.MALFORMED_JSON, detail, null);
        } catch (RuntimeException e) {
            throw new ProtocolException(ErrorCode.MALFORMED_JSON, "frame is not valid JSON", null);
        }
        if (node == null || !node.isObject()) {
            throw new ProtocolException(ErrorCode.MALFORMED_JSON, "frame must be a JSON object", null);
        }
        return node;
    }

    private static String idOf(JsonNode node) {
        JsonNode id = node.get("id");
        return id != null && id.isTextual() && Ids.validMessageId(id.textValue()) ? id.textValue() : null;
    }

    private static String abbreviate(String s) {
        return s.length() <= 32 ? s : s.substring(0, 32) + "...";
    }
}
