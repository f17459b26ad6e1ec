package dev.pigeonhole.router;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pigeonhole.protocol.ErrorCode;
import dev.pigeonhole.protocol.Frames;
import dev.pigeonhole.protocol.Json;
import dev.pigeonhole.protocol.ServerFrame;
import dev.pigeonhole.records.Entry;
import dev.pigeonhole.records.InboxOp;
import dev.pigeonhole.records.Push;
import dev.pigeonhole.records.RecordReader;
import dev.pigeonhole.records.RecordWriter;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Device shadows (docs/shadow.md), beside the owner's inbox: every request is an operation of the owner's log, so
 * an update, the inbox entries it makes and its answer are one step of the router's transaction, and a get sees
 * every update before it. The answer goes to the asking delivery instance as a push.
 */
final class Shadows {
    /** Limits of a document: JSON bytes of desired + reported, and object nesting below them. */
    record Limits(int maxBytes, int maxDepth) {
        static final Limits DEFAULT = new Limits(8192, 6);
    }

    private final KeyValueStore<String, byte[]> store;
    private final Inboxes inboxes;
    private final Limits limits;
    private final RouterMetrics metrics;

    Shadows(ProcessorContext<?, ?> context, Inboxes inboxes, Limits limits, RouterMetrics metrics) {
        this.metrics = metrics;
        this.store = context.getStateStore(RouterTopology.SHADOW_STORE);
        this.inboxes = inboxes;
        this.limits = limits;
    }

    void apply(String user, InboxOp.Shadow op, long ts, Outputs out) {
        String key = user + '\u0000' + op.thing() + '\u0000' + op.name();
        byte[] bytes = store.get(key);
        State state = bytes == null ? null : State.decode(bytes);
        ServerFrame answer = switch (op.op()) {
            case GET -> state == null || state.deleted()
                    ? rejected(op, ErrorCode.NOT_FOUND, "no shadow " + describe(op), null)
                    : accepted(op, document(op, state));
            case UPDATE -> update(user, key, state, op, ts, out);
            case DELETE -> delete(user, key, state, op, ts, out);
        };
        metrics.shadow(op.op().wire(), answer instanceof ServerFrame.ShadowRejected r ? r.code().wire() : "accepted");
        out.push(op.instance(), new Push.ShadowAnswer(user, op.request(), Frames.encode(answer)), ts);
    }

    private ServerFrame update(String user, String key, State state, InboxOp.Shadow op, long ts, Outputs out) {
        long current = state == null ? 0 : state.version();
        if (op.clientToken() != null && inboxes.seenShadowRequest(user, op.device(), op.clientToken(), ts)) {
            // a resend of an update already applied: the answer it missed, not a second change
            return state == null || state.deleted() ? rejected(op, ErrorCode.NOT_FOUND, "no shadow " + describe(op), current)
                    : accepted(op, document(op, state));
        }
        if (op.version() != null && op.version() != current) {
            return rejected(op, ErrorCode.VERSION_CONFLICT, "version " + op.version()
                    + " does not match the shadow's version " + current, state == null ? null : current);
        }
        JsonNode patch;
        try {
            patch = Json.MAPPER.readTree(op.state());
        } catch (Exception e) {
            return rejected(op, ErrorCode.INVALID_FIELD, "state is not valid JSON", versionOf(state));
        }
        if (patch == null || !patch.isObject()) {
            return rejected(op, ErrorCode.INVALID_FIELD, "state must be an object", versionOf(state));
        }
        if (patch.has("reported") && !op.device().equals(op.thing())) {
            return rejected(op, ErrorCode.FORBIDDEN, "only the thing " + op.thing() + " updates reported (this is "
                    + op.device() + ")", versionOf(state));
        }
        boolean exists = state != null && !state.deleted();
        ObjectNode doc = exists ? (ObjectNode) Json.read(state.json(), JsonNode.class) : ShadowDocs.object();
        JsonNode before = exists ? document(op, state, doc.deepCopy()) : NullNode.instance;
        ObjectNode metadata = doc.has("metadata") ? (ObjectNode) doc.get("metadata") : doc.putObject("metadata");
        for (String section : new String[] {"desired", "reported"}) {
            JsonNode p = patch.get(section);
            if (p == null) {
                continue;
            }
            if (p.isNull()) {
                doc.remove(section);
                metadata.remove(section);
                continue;
            }
            if (!p.isObject()) {
                return rejected(op, ErrorCode.INVALID_FIELD, "state." + section + " must be an object or null", versionOf(state));
            }
            if (ShadowDocs.depth(p) > limits.maxDepth()) {
                return rejected(op, ErrorCode.INVALID_FIELD, "state." + section + " nests deeper than "
                        + limits.maxDepth() + " levels", versionOf(state));
            }
            ObjectNode target = doc.get(section) instanceof ObjectNode o ? o : doc.putObject(section);
            ObjectNode meta = metadata.get(section) instanceof ObjectNode m ? m : metadata.putObject(section);
            ShadowDocs.merge(target, meta, p, ts);
            if (target.isEmpty()) {
                doc.remove(section);
                metadata.remove(section);
            }
        }
        ObjectNode sections = ShadowDocs.object();
        sections.set("desired", doc.get("desired"));
        sections.set("reported", doc.get("reported"));
        int size = Json.writeBytes(sections).length;
        if (size > limits.maxBytes()) {
            return rejected(op, ErrorCode.TOO_LARGE, "desired and reported would be " + size + " bytes; the limit is "
                    + limits.maxBytes(), versionOf(state));
        }
        if (metadata.isEmpty()) {
            doc.remove("metadata");
        }
        State next = new State(current + 1, ts, op.clientToken(), false,
                state == null ? 0 : state.deltaSeq(), state == null ? 0 : state.documentsSeq(), Json.writeBytes(doc));
        JsonNode after = document(op, next, doc);
        JsonNode delta = after.path("state").path("delta");
        long deltaSeq = next.deltaSeq();
        if (delta.isMissingNode()) {
            supersede(user, deltaSeq);
            deltaSeq = 0;
        } else if (patch.has("desired")) {
            supersede(user, deltaSeq);
            ObjectNode body = ShadowDocs.object().put("thing", op.thing()).put("name", op.name()).put("version", next.version());
            body.set("state", delta);
            body.set("metadata", ShadowDocs.select(after.path("metadata").path("desired"), delta));
            if (op.clientToken() != null) {
                body.put("clientToken", op.clientToken());
            }
            deltaSeq = appendEntry(user, Entry.Kind.SHADOW_DELTA, "delta", op, next.version(), ts, body, out);
        }
        long documentsSeq = documents(user, op, next.version(), ts, before, after, next.documentsSeq(), out);
        store.put(key, new State(next.version(), ts, op.clientToken(), false, deltaSeq, documentsSeq, next.json()).encode());
        if (op.clientToken() != null) {
            inboxes.rememberShadowRequest(user, op.device(), op.clientToken(), next.version(), ts);
        }
        return accepted(op, after);
    }

    private ServerFrame delete(String user, String key, State state, InboxOp.Shadow op, long ts, Outputs out) {
        if (state == null || state.deleted()) {
            return rejected(op, ErrorCode.NOT_FOUND, "no shadow " + describe(op), state == null ? null : state.version());
        }
        if (op.version() != null && op.version() != state.version()) {
            return rejected(op, ErrorCode.VERSION_CONFLICT, "version " + op.version()
                    + " does not match the shadow's version " + state.version(), state.version());
        }
        long version = state.version() + 1;
        supersede(user, state.deltaSeq());
        long documentsSeq = documents(user, op, version, ts, document(op, state), NullNode.instance,
                state.documentsSeq(), out);
        store.put(key, new State(version, ts, op.clientToken(), true, 0, documentsSeq, new byte[] {'{', '}'}).encode());
        ObjectNode summary = ShadowDocs.object().put("thing", op.thing()).put("name", op.name()).put("version", version)
                .put("timestamp", ts);
        return accepted(op, summary);
    }

    private long documents(String user, InboxOp.Shadow op, long version, long ts, JsonNode previous, JsonNode current,
                           long supersedes, Outputs out) {
        supersede(user, supersedes);
        ObjectNode body = ShadowDocs.object().put("thing", op.thing()).put("name", op.name()).put("by", op.device());
        body.set("previous", previous);
        body.set("current", current);
        return appendEntry(user, Entry.Kind.SHADOW_DOCUMENTS, "documents", op, version, ts, body, out);
    }

    private long appendEntry(String user, Entry.Kind kind, String prefix, InboxOp.Shadow op, long version, long ts,
                             ObjectNode body, Outputs out) {
        String id = prefix + ":" + op.thing() + "/" + op.name() + "@" + version;
        inboxes.append(user, Entry.shadow(kind, id, user, op.device(), op.thing(), ts, Json.writeBytes(body)), ts, out);
        return inboxes.head(user);
    }

    /**
     * Device {@code thing} was just registered at {@code position}: a new device starts after the entries before it,
     * so each of its shadows' pending delta that lies there is appended again (and the old one superseded) — a thing
     * installed after its app set {@code desired} still finds its work order.
     */
    void registered(String user, String thing, long position, long ts, Outputs out) {
        java.util.List<org.apache.kafka.streams.KeyValue<String, State>> pending = new java.util.ArrayList<>();
        String prefix = user + '\u0000' + thing + '\u0000';
        try (org.apache.kafka.streams.state.KeyValueIterator<String, byte[]> it =
                     store.range(prefix, user + '\u0000' + thing + '\u0001')) {
            while (it.hasNext()) {
                org.apache.kafka.streams.KeyValue<String, byte[]> kv = it.next();
                State s = State.decode(kv.value);
                if (!s.deleted() && s.deltaSeq() > 0 && s.deltaSeq() <= position) {
                    pending.add(org.apache.kafka.streams.KeyValue.pair(kv.key, s));
                }
            }
        }
        for (org.apache.kafka.streams.KeyValue<String, State> p : pending) {
            State s = p.value;
            Entry delta = inboxes.entry(user, s.deltaSeq());
            if (delta == null || delta.kind() != Entry.Kind.SHADOW_DELTA) {
                continue; // trimmed by retention meanwhile
            }
            supersede(user, s.deltaSeq());
            inboxes.append(user, Entry.shadow(Entry.Kind.SHADOW_DELTA, delta.id() + "+" + (inboxes.head(user) + 1),
                    delta.from(), delta.fromDevice(), delta.to(), delta.sentAt(), delta.body()), ts, out);
            store.put(p.key, new State(s.version(), s.timestamp(), s.clientToken(), false, inboxes.head(user),
                    s.documentsSeq(), s.json()).encode());
        }
    }

    /** The shadow's previous entry of one kind, if the inbox still holds it, keeps its seq but loses its content. */
    private void supersede(String user, long seq) {
        if (seq <= 0) {
            return;
        }
        Entry e = inboxes.entry(user, seq);
        if (e != null && (e.kind() == Entry.Kind.SHADOW_DELTA || e.kind() == Entry.Kind.SHADOW_DOCUMENTS)) {
            inboxes.entries.put(InboxKeys.of(user, seq), e.superseded().encode());
        }
    }

    /** The document as the API shows it. */
    static ObjectNode document(InboxOp.Shadow op, State state) {
        return document(op, state, Json.read(state.json(), JsonNode.class));
    }

    /** The same from {@code stored}, the state's JSON already parsed (its nodes are shared, not copied). */
    private static ObjectNode document(InboxOp.Shadow op, State state, JsonNode stored) {
        ObjectNode doc = ShadowDocs.object().put("thing", op.thing()).put("name", op.name());
        ObjectNode s = doc.putObject("state");
        if (stored.has("desired")) {
            s.set("desired", stored.get("desired"));
        }
        if (stored.has("reported")) {
            s.set("reported", stored.get("reported"));
        }
        ObjectNode delta = ShadowDocs.delta(stored.get("desired"), stored.get("reported"));
        if (!delta.isEmpty()) {
            s.set("delta", delta);
        }
        if (stored.has("metadata")) {
            doc.set("metadata", stored.get("metadata"));
        }
        doc.put("version", state.version()).put("timestamp", state.timestamp());
        if (state.clientToken() != null) {
            doc.put("clientToken", state.clientToken());
        }
        return doc;
    }

    private static Long versionOf(State state) {
        return state == null ? null : state.version();
    }

    private static String describe(InboxOp.Shadow op) {
        return op.name().isEmpty() ? op.thing() : op.thing() + "/" + op.name();
    }

    private static ServerFrame accepted(InboxOp.Shadow op, JsonNode document) {
        return new ServerFrame.ShadowAccepted(op.op().wire(), op.thing(), op.name(), op.clientToken(), document);
    }

    private static ServerFrame rejected(InboxOp.Shadow op, ErrorCode code, String message, Long version) {
        return new ServerFrame.ShadowRejected(op.op().wire(), op.thing(), op.name(), op.clientToken(), code, message, version);
    }

    /**
     * A shadow as stored: {@code json} holds {@code desired}, {@code reported} and {@code metadata}; a deleted
     * shadow keeps its version. {@code deltaSeq}, {@code documentsSeq}: the seqs of its latest entries (0: none),
     * which the next change supersedes.
     */
    record State(long version, long timestamp, String clientToken, boolean deleted, long deltaSeq, long documentsSeq,
                 byte[] json) {
        private static final int TYPE = 1;

        byte[] encode() {
            return RecordWriter.record(TYPE, 48 + json.length).varLong(version).varLong(timestamp).string(clientToken)
                    .bool(deleted).varLong(deltaSeq).varLong(documentsSeq).block(json).toByteArray();
        }

        static State decode(byte[] bytes) {
            RecordReader r = RecordReader.record(bytes, "shadow");
            if (r.u8() != TYPE) {
                throw new IllegalStateException("not a shadow record");
            }
            return new State(r.varLong(), r.varLong(), r.string(), r.bool(), r.varLong(), r.varLong(), r.block());
        }
    }
}
