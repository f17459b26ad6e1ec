package dev.pigeonhole.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
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

    private static final JsonFactory CLIENT_FACTORY = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();
    private static final ObjectReader CLIENT_READER = Json.configure(JsonMapper.builder(CLIENT_FACTORY))
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
        SendFields f = readSend(text);
        requireType(f.type, f.typeIsText, "send", "/v1/send", f.validId());
        return send(f);
    }

    /** Parses a send made over HTTP: the same fields as a {@code send} frame, {@code type} optional. */
    public ClientFrame.Send parseSendBody(String text) throws ProtocolException {
        SendFields f = readSend(text);
        if (f.hasType) {
            requireType(f.type, f.typeIsText, "send", "POST /v1/messages", f.validId());
        }
        return send(f);
    }

    /**
     * Parses a frame of {@code /v1/send} as the socket sees it: a {@code send}, or a {@code ping} (answered by
     * {@code pong}; other fields ignored, as in every client frame). Refusals as {@link #parseSend}.
     */
    public ClientFrame parseSendSocket(String text) throws ProtocolException {
        SendFields f = readSend(text);
        if (f.typeIsText && "ping".equals(f.type)) {
            return ClientFrame.Ping.INSTANCE;
        }
        requireType(f.type, f.typeIsText, "send", "/v1/send (send, ping)", f.validId());
        return send(f);
    }

    /** Parses a frame of {@code /v1/inbox}: {@code ack}, {@code read}, {@code fetch} or a shadow request. */
    public ClientFrame parseInbox(String text) throws ProtocolException {
        JsonNode node = readObject(text);
        JsonNode type = node.get("type");
        String name = type != null && type.isTextual() ? type.textValue() : null;
        if (name != null && name.startsWith("shadow_")) {
            for (ClientFrame.ShadowOp op : ClientFrame.ShadowOp.values()) {
                if (name.equals("shadow_" + op.wire())) {
                    return shadow(op, node, text.length(), null, null, null, null);
                }
            }
        }
        if ("ping".equals(name)) {
            return ClientFrame.Ping.INSTANCE;
        }
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
            requireType(node, "ack", "/v1/inbox (ack, read, fetch, ping, shadow_get, shadow_update, shadow_delete)");
        }
        return new ClientFrame.Ack(seq(node, "seq"));
    }

    private static void requireType(JsonNode node, String expected, String endpoint) throws ProtocolException {
        JsonNode type = node.get("type");
        requireType(type != null && type.isTextual() ? type.textValue() : null, type != null && type.isTextual(),
                expected, endpoint, idOf(node));
    }

    private static void requireType(String type, boolean isText, String expected, String endpoint, String id)
            throws ProtocolException {
        if (!isText) {
            throw new ProtocolException(ErrorCode.UNKNOWN_TYPE, "field 'type' is required and must be a string", id);
        }
        if (!expected.equals(type)) {
            throw new ProtocolException(ErrorCode.UNKNOWN_TYPE, "frame type '" + abbreviate(type)
                    + "' is not accepted on " + endpoint + " (only '" + expected + "')", id);
        }
    }

    /** Largest shadow request (frame or HTTP body) in characters: the document limit is checked by the router. */
    public static final int MAX_SHADOW_REQUEST = 16 * 1024;
    private static final java.util.regex.Pattern CLIENT_TOKEN = java.util.regex.Pattern.compile("[\\x21-\\x7E]{1,64}");

    /**
     * Parses a shadow request made over HTTP ({@code /v1/things/{thing}/shadow}): {@code thing} and {@code name} from
     * the path and query, {@code version} from the query for a delete; for an update the body holds {@code state},
     * {@code version} and {@code clientToken}.
     */
    public static ClientFrame.Shadow parseShadowHttp(ClientFrame.ShadowOp op, String thing, String name, String owner,
                                                     String version, String body) throws ProtocolException {
        JsonNode node;
        if (op == ClientFrame.ShadowOp.UPDATE) {
            if (body != null && body.length() > MAX_SHADOW_REQUEST) {
                throw rejected(op, thing, name, null, ErrorCode.TOO_LARGE,
                        "request is " + body.length() + " characters; the limit is " + MAX_SHADOW_REQUEST);
            }
            node = readObject(body == null ? "" : body);
        } else {
            node = Json.MAPPER.createObjectNode();
        }
        Long v = null;
        if (version != null) {
            try {
                v = Long.parseLong(version);
            } catch (NumberFormatException e) {
                v = -1L;
            }
        }
        return shadow(op, node, body == null ? 0 : body.length(), thing, name == null ? "" : name, v,
                owner == null ? null : Json.MAPPER.getNodeFactory().textNode(owner));
    }

    private static ClientFrame.Shadow shadow(ClientFrame.ShadowOp op, JsonNode node, int length, String pathThing,
                                             String pathName, Long queryVersion, JsonNode queryOwner)
            throws ProtocolException {
        JsonNode t = pathThing != null ? Json.MAPPER.getNodeFactory().textNode(pathThing) : node.get("thing");
        JsonNode n = pathName != null ? Json.MAPPER.getNodeFactory().textNode(pathName) : node.get("name");
        JsonNode c = node.get("clientToken");
        String thing = t != null && t.isTextual() && Ids.validName(t.textValue()) ? t.textValue() : null;
        String name = n == null || n.isNull() ? "" : n.isTextual() && (n.textValue().isEmpty() || Ids.validName(n.textValue()))
                ? n.textValue() : null;
        String token = c != null && c.isTextual() && CLIENT_TOKEN.matcher(c.textValue()).matches() ? c.textValue() : null;
        if (c != null && !c.isNull() && token == null) {
            throw rejected(op, thing, name, null, ErrorCode.INVALID_FIELD, "field 'clientToken' must be 1-64 printable ASCII characters");
        }
        if (thing == null) {
            throw rejected(op, null, name, token, ErrorCode.INVALID_FIELD, "field 'thing' is required: a device id (1-64 of A-Z a-z 0-9 . _ @ -)");
        }
        if (name == null) {
            throw rejected(op, thing, null, token, ErrorCode.INVALID_FIELD, "field 'name' must be empty or 1-64 of A-Z a-z 0-9 . _ @ -");
        }
        JsonNode o = queryOwner != null ? queryOwner : node.get("owner");
        String owner = null;
        if (o != null && !o.isNull()) {
            if (!o.isTextual() || !Ids.validName(o.textValue())) {
                throw rejected(op, thing, name, token, ErrorCode.INVALID_FIELD, "field 'owner' must be a user id");
            }
            owner = o.textValue();
        }
        if (length > MAX_SHADOW_REQUEST) {
            throw rejected(op, thing, name, token, ErrorCode.TOO_LARGE,
                    "request is " + length + " characters; the limit is " + MAX_SHADOW_REQUEST);
        }
        Long version = queryVersion;
        JsonNode v = node.get("version");
        if (version == null && v != null && !v.isNull()) {
            version = v.isIntegralNumber() && v.canConvertToLong() ? v.longValue() : -1L;
        }
        if (version != null && version < 0) {
            throw rejected(op, thing, name, token, ErrorCode.INVALID_FIELD, "field 'version' must be an integer >= 0");
        }
        JsonNode state = null;
        if (op == ClientFrame.ShadowOp.UPDATE) {
            state = node.get("state");
            if (state == null || !state.isObject() || state.isEmpty()) {
                throw rejected(op, thing, name, token, ErrorCode.INVALID_FIELD,
                        "field 'state' is required: an object with 'desired' and/or 'reported'");
            }
            for (var it = state.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                JsonNode section = state.get(f);
                if (!f.equals("desired") && !f.equals("reported")) {
                    throw rejected(op, thing, name, token, ErrorCode.INVALID_FIELD,
                            "state may hold only 'desired' and 'reported', not '" + abbreviate(f) + "'");
                }
                if (!section.isObject() && !section.isNull()) {
                    throw rejected(op, thing, name, token, ErrorCode.INVALID_FIELD,
                            "state." + f + " must be an object or null");
                }
            }
        }
        return new ClientFrame.Shadow(op, thing, name, owner, token, version, state);
    }

    private static ShadowFrameException rejected(ClientFrame.ShadowOp op, String thing, String name, String token,
                                                 ErrorCode code, String message) {
        return new ShadowFrameException(new ServerFrame.ShadowRejected(op.wire(), thing, name, token, code, message, null));
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
                case "shadow_accepted" -> ServerFrame.ShadowAccepted.class;
                case "shadow_rejected" -> ServerFrame.ShadowRejected.class;
                case "shadow_delta" -> ServerFrame.ShadowDelta.class;
                case "shadow_documents" -> ServerFrame.ShadowDocuments.class;
                case "pong" -> ServerFrame.Pong.class;
                default -> null;
            };
            if (cls == ServerFrame.Pong.class) {
                return ServerFrame.Pong.INSTANCE; // no fields; a newer server's extra ones are ignored
            }
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

    /** The top-level fields of a send frame, read in one streaming pass that validates the whole frame. */
    private static final class SendFields {
        boolean hasType;
        boolean typeIsText;
        String type;
        boolean idIsText;
        String id;
        boolean toIsText;
        String to;
        /** The body's JSON text as sent; null when absent or JSON null. */
        String body;
        boolean hasAttachments;
        /** The attachments' JSON text; null when absent, JSON null, or not an array. */
        String attachments;

        String validId() {
            return idIsText && Ids.validMessageId(id) ? id : null;
        }
    }

    /**
     * Reads a whole frame with a streaming parser: the frame must be one JSON object, with no trailing data, no
     * repeated field names and nesting at most {@link #MAX_DEPTH} deep; the body is kept as the text the client
     * wrote (never rebuilt), and every other field's value is validated and skipped.
     */
    private static SendFields readSend(String text) throws ProtocolException {
        SendFields f = new SendFields();
        try (JsonParser p = CLIENT_FACTORY.createParser(text)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                if (p.currentToken() != null) {
                    p.skipChildren();
                    while (p.nextToken() != null) {
                        p.skipChildren(); // report invalid JSON before "not an object"
                    }
                }
                throw new ProtocolException(ErrorCode.MALFORMED_JSON, "frame must be a JSON object", null);
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if (value.isStructStart() && !name.equals("body") && !name.equals("attachments")) {
                    p.skipChildren(); // a wrongly typed field: validated, reported below
                    continue;
                }
                switch (name) {
                    case "type" -> {
                        f.hasType = true;
                        f.typeIsText = value == JsonToken.VALUE_STRING;
                        f.type = f.typeIsText ? p.getText() : null;
                    }
                    case "id" -> {
                        f.idIsText = value == JsonToken.VALUE_STRING;
                        f.id = f.idIsText ? p.getText() : null;
                    }
                    case "to" -> {
                        f.toIsText = value == JsonToken.VALUE_STRING;
                        f.to = f.toIsText ? p.getText() : null;
                    }
                    case "body" -> {
                        int start = (int) p.currentTokenLocation().getCharOffset();
                        if (value.isStructStart()) {
                            p.skipChildren();
                        } else {
                            p.finishToken();
                        }
                        f.body = value == JsonToken.VALUE_NULL ? null
                                : text.substring(start, (int) p.currentLocation().getCharOffset());
                    }
                    case "attachments" -> {
                        f.hasAttachments = value != JsonToken.VALUE_NULL;
                        int start = (int) p.currentTokenLocation().getCharOffset();
                        p.skipChildren();
                        if (value == JsonToken.START_ARRAY) {
                            f.attachments = text.substring(start, (int) p.currentLocation().getCharOffset());
                        }
                    }
                    default -> p.skipChildren();
                }
            }
            if (p.nextToken() != null) {
                throw new ProtocolException(ErrorCode.MALFORMED_JSON, "frame is not valid JSON", null);
            }
        } catch (StreamConstraintsException e) {
            throw new ProtocolException(ErrorCode.MALFORMED_JSON, constraintMessage(e), null);
        } catch (JsonProcessingException e) {
            throw new ProtocolException(ErrorCode.MALFORMED_JSON, invalidJsonMessage(e), null);
        } catch (java.io.IOException | RuntimeException e) {
            throw new ProtocolException(ErrorCode.MALFORMED_JSON, "frame is not valid JSON", null);
        }
        return f;
    }

    private ClientFrame.Send send(SendFields f) throws ProtocolException {
        if (!f.idIsText || !Ids.validMessageId(f.id)) {
            throw new ProtocolException(ErrorCode.INVALID_FIELD,
                    "field 'id' is required: 1-" + Ids.MAX_MESSAGE_ID_LENGTH + " printable ASCII characters", null);
        }
        if (!f.toIsText || !Ids.validRecipient(f.to)) {
            throw new ProtocolException(ErrorCode.INVALID_FIELD,
                    "field 'to' is required: a user id or group:<id> (1-64 of A-Z a-z 0-9 . _ @ -)", f.id);
        }
        if (f.body == null) {
            throw new ProtocolException(ErrorCode.INVALID_FIELD, "field 'body' is required (any JSON value but null)", f.id);
        }
        int size = utf8Length(f.body);
        if (size > maxBodyBytes) {
            throw new ProtocolException(ErrorCode.TOO_LARGE,
                    "body is " + size + " bytes; the limit is " + maxBodyBytes, f.id);
        }
        return new ClientFrame.Send(f.id, f.to, f.body, attachments(f));
    }

    public static final int MAX_ATTACHMENTS = 10;
    public static final int MAX_PREVIEW_BYTES = 8 * 1024;
    private static final java.util.regex.Pattern REF = java.util.regex.Pattern.compile("sha256:[0-9a-f]{64}");
    private static final java.util.Set<String> ATTACHMENT_FIELDS = java.util.Set.of("ref", "size", "type", "name", "preview");

    /** Validates the optional {@code attachments} array (docs/protocol.md, Attachments); empty when absent. */
    private static List<ClientFrame.Attachment> attachments(SendFields f) throws ProtocolException {
        if (!f.hasAttachments) {
            return List.of();
        }
        JsonNode array;
        try {
            array = f.attachments == null ? null : Json.MAPPER.readTree(f.attachments);
        } catch (JsonProcessingException e) {
            array = null;
        }
        if (array == null || !array.isArray() || array.size() > MAX_ATTACHMENTS) {
            throw new ProtocolException(ErrorCode.INVALID_FIELD,
                    "field 'attachments' must be an array of at most " + MAX_ATTACHMENTS + " objects", f.id);
        }
        List<ClientFrame.Attachment> out = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) {
            out.add(attachment(array.get(i), "attachments[" + i + "]", f.id));
        }
        return List.copyOf(out);
    }

    static ClientFrame.Attachment attachment(JsonNode a, String where, String id) throws ProtocolException {
        if (!a.isObject()) {
            throw new ProtocolException(ErrorCode.INVALID_FIELD, where + " must be an object", id);
        }
        for (var it = a.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!ATTACHMENT_FIELDS.contains(name)) {
                throw new ProtocolException(ErrorCode.INVALID_FIELD, where + " has an unknown field '" + name + "'", id);
            }
        }
        JsonNode ref = a.get("ref");
        if (ref == null || !ref.isTextual() || !REF.matcher(ref.textValue()).matches()) {
            throw new ProtocolException(ErrorCode.INVALID_FIELD, where + ".ref must be sha256:<64 lowercase hex>", id);
        }
        JsonNode size = a.get("size");
        if (size == null || !size.isIntegralNumber() || !size.canConvertToLong() || size.longValue() < 0) {
            throw new ProtocolException(ErrorCode.INVALID_FIELD, where + ".size must be the blob's length in bytes", id);
        }
        JsonNode type = a.get("type");
        if (type == null || !type.isTextual() || !validText(type.textValue(), 255) || type.textValue().indexOf('/') < 1) {
            throw new ProtocolException(ErrorCode.INVALID_FIELD, where + ".type must be a media type (type/subtype)", id);
        }
        JsonNode name = a.get("name");
        if (name != null && !name.isNull() && (!name.isTextual() || !validText(name.textValue(), 255))) {
            throw new ProtocolException(ErrorCode.INVALID_FIELD, where + ".name must be 1-255 characters", id);
        }
        JsonNode preview = a.get("preview");
        if (preview != null && !preview.isNull()) {
            byte[] decoded;
            try {
                decoded = preview.isTextual() ? java.util.Base64.getDecoder().decode(preview.textValue()) : null;
            } catch (IllegalArgumentException e) {
                decoded = null;
            }
            if (decoded == null || decoded.length > MAX_PREVIEW_BYTES) {
                throw new ProtocolException(ErrorCode.INVALID_FIELD,
                        where + ".preview must be base64 of at most " + MAX_PREVIEW_BYTES + " bytes", id);
            }
        }
        return new ClientFrame.Attachment(ref.textValue(), size.longValue(), type.textValue(),
                name == null || name.isNull() ? null : name.textValue(),
                preview == null || preview.isNull() ? null : preview.textValue());
    }

    /** 1-{@code max} characters, no control characters. */
    private static boolean validText(String s, int max) {
        return !s.isEmpty() && s.length() <= max && s.chars().noneMatch(c -> c < 0x20 || c == 0x7f);
    }

    /** UTF-8 length of a string without encoding it (unpaired surrogates count as '?', as the encoder writes them). */
    static int utf8Length(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n++;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else if (Character.isSurrogate(c)) {
                n++;
            } else {
                n += 3;
            }
        }
        return n;
    }

    private static String constraintMessage(StreamConstraintsException e) {
        String m = String.valueOf(e.getOriginalMessage());
        if (m.contains("nesting depth") || m.contains("Nesting depth")) {
            return "frame nests deeper than " + MAX_DEPTH + " levels";
        }
        if (m.contains("Number value length") || m.contains("number value length")) {
            return "a number in the frame is longer than the limit (" + StreamReadConstraints.DEFAULT_MAX_NUM_LEN + " characters)";
        }
        if (m.contains("String value length") || m.contains("string value length")) {
            return "a string in the frame is longer than the limit";
        }
        return "frame exceeds a parser limit";
    }

    private static String invalidJsonMessage(JsonProcessingException e) {
        return e.getOriginalMessage() != null && e.getOriginalMessage().startsWith("Duplicate field")
                ? "frame repeats a field name" : "frame is not valid JSON";
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
            throw new ProtocolException(ErrorCode.MALFORMED_JSON, constraintMessage(e), null);
        } catch (JsonProcessingException e) {
            throw new ProtocolException(ErrorCode.MALFORMED_JSON, invalidJsonMessage(e), null);
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
