package dev.pigeonhole.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pigeonhole.protocol.Frames;
import dev.pigeonhole.protocol.Json;
import dev.pigeonhole.protocol.ProtocolException;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Plays one scenario ({@code scenarios/*.json}, format in conformance/README.md) on {@code /v1/send} and
 * {@code /v1/inbox}: each endpoint runs its list of steps against the connections the client opens, in order (a step
 * that waits for a frame takes it from whichever connection of that endpoint sent it, so a client may resend on the
 * same connection or on a new one). Every client frame is also parsed with the protocol module's strict parsers.
 * What went wrong is collected in {@link #problems()}.
 */
final class FaultServer implements AutoCloseable {
    static final List<String> ENDPOINTS = List.of("send", "inbox");
    /** How long an {@code await} step waits unless it says ({@code timeoutMs}). */
    static final long DEFAULT_TIMEOUT_MS = 10_000;
    private static final Pattern VAR = Pattern.compile("\\$\\{([A-Za-z0-9_]+)}");
    /** Inbox frames no script needs to wait for: acks and read markers may come at any time. */
    private static final Set<String> INBOX_BACKGROUND = Set.of("ack", "read");

    private record Event(String kind, WsServer.Connection connection, String text, int code, long at) {}

    private final WsServer ws;
    private final Consumer<String> log;
    private final Map<String, BlockingQueue<Event>> events = new ConcurrentHashMap<>();
    private final Map<String, WsServer.Connection> current = new ConcurrentHashMap<>();
    private final Map<String, Integer> connectionCounts = new ConcurrentHashMap<>();
    private final Map<String, String> vars = new ConcurrentHashMap<>();
    private final Map<String, Long> marks = new ConcurrentHashMap<>();
    private final List<String> problems = new CopyOnWriteArrayList<>();
    private final Map<String, Thread> players = new HashMap<>();
    private final Map<String, Boolean> finished = new ConcurrentHashMap<>();
    /** The step each endpoint's script is at (until it ends). */
    private final Map<String, String> pending = new ConcurrentHashMap<>();
    private final Frames frames = new Frames(Frames.DEFAULT_MAX_BODY_BYTES);
    /** Per inbox connection: the highest seq it delivered (entries, gap ends) or resumed after; acks may not exceed it. */
    private final Map<WsServer.Connection, Long> delivered = new ConcurrentHashMap<>();
    private volatile boolean stopping;
    private final long awaitTimeoutMs;

    /** @param awaitTimeoutMs how long an {@code await} step waits unless it says ({@code timeoutMs}) */
    FaultServer(JsonNode scenario, int port, long awaitTimeoutMs, Consumer<String> log) throws IOException {
        this.log = log;
        this.awaitTimeoutMs = awaitTimeoutMs;
        for (String e : ENDPOINTS) {
            events.put(e, new LinkedBlockingQueue<>());
            connectionCounts.put(e, 0);
        }
        ws = new WsServer(port, new WsServer.Handler() {
            @Override
            public void opened(WsServer.Connection c) {
                String e = endpoint(c);
                if (e == null) {
                    problem("connection to an unknown path " + c.target());
                    c.drop();
                    return;
                }
                connectionCounts.merge(e, 1, Integer::sum);
                Matcher after = Pattern.compile("[?&]after=(\\d+)").matcher(c.target());
                delivered.put(c, after.find() ? Long.parseLong(after.group(1)) : 0L);
                current.put(e, c);
                log.accept(e + " < connect " + c.target());
                events.get(e).add(new Event("connect", c, c.target(), 0, System.nanoTime()));
            }

            @Override
            public void text(WsServer.Connection c, String text) {
                String e = endpoint(c);
                log.accept(e + " < " + text);
                validate(e, text);
                JsonNode f = parse(text);
                String type = f.path("type").asText();
                if ((type.equals("ack") || type.equals("read")) && f.path("seq").asLong() > delivered.getOrDefault(c, 0L)) {
                    problem(e + ": " + type + " beyond what this connection delivered (" + delivered.get(c) + "): " + text);
                }
                events.get(e).add(new Event("frame", c, text, 0, System.nanoTime()));
            }

            @Override
            public void closed(WsServer.Connection c, int code) {
                String e = endpoint(c);
                if (e != null) {
                    log.accept(e + " < closed " + code);
                    events.get(e).add(new Event("closed", c, null, code, System.nanoTime()));
                }
            }
        });
        for (String e : ENDPOINTS) {
            JsonNode script = scenario.path(e);
            Runnable play = script.isArray() ? () -> play(e, script) : "idle".equals(script.asText()) ? () -> idle(e)
                    : () -> unscripted(e);
            Thread t = new Thread(play, "script-" + e);
            t.setDaemon(true);
            players.put(e, t);
            t.start();
        }
    }

    int port() {
        return ws.port();
    }

    /** Variables bound by the steps so far (e.g. the id of the first send). */
    Map<String, String> vars() {
        return vars;
    }

    Map<String, Integer> connectionCounts() {
        return connectionCounts;
    }

    /**
     * Whether every scripted step was played: waits up to {@code millis} for the scripts to get there, or until one
     * of them failed.
     */
    boolean awaitScripts(long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        while (System.currentTimeMillis() < deadline && !allFinished()
                && ENDPOINTS.stream().allMatch(e -> finished.getOrDefault(e, false) || players.get(e).isAlive())) {
            Thread.sleep(20);
        }
        return allFinished();
    }

    private boolean allFinished() {
        return ENDPOINTS.stream().allMatch(e -> finished.getOrDefault(e, false));
    }

    List<String> problems() {
        return problems;
    }

    private void problem(String p) {
        if (!stopping) {
            log.accept("PROBLEM " + p);
            problems.add(p);
        }
    }

    private static String endpoint(WsServer.Connection c) {
        String path = c.target().split("\\?")[0];
        return path.equals("/v1/send") ? "send" : path.equals("/v1/inbox") ? "inbox" : null;
    }

    /** Every client frame must be one the real servers accept (protocol module, strict parsing). */
    private void validate(String endpoint, String text) {
        try {
            if (endpoint.equals("send")) {
                frames.parseSend(text);
            } else {
                frames.parseInbox(text);
            }
        } catch (ProtocolException | RuntimeException e) {
            problem(endpoint + ": the client sent a frame the server refuses (" + e.getMessage() + "): " + text);
        }
    }

    /** No script: any frame is unexpected. */
    private void unscripted(String endpoint) {
        finished.put(endpoint, true);
        drain(endpoint, Long.MAX_VALUE);
    }

    /** The default inbox: nothing waits ({@code backlog} then {@code caught_up}), and it stays so. */
    private void idle(String endpoint) {
        finished.put(endpoint, true);
        try {
            while (!stopping) {
                Event ev = events.get(endpoint).poll(100, TimeUnit.MILLISECONDS);
                if (ev != null && ev.kind.equals("connect")) {
                    reply(ev.connection, "{\"type\":\"backlog\",\"count\":0,\"head\":0,\"epoch\":1}");
                    reply(ev.connection, "{\"type\":\"caught_up\",\"seq\":0,\"epoch\":1}");
                } else if (ev != null && ev.kind.equals("frame") && !background(endpoint, ev.text)) {
                    problem(endpoint + ": unexpected frame " + ev.text);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void play(String endpoint, JsonNode steps) {
        int n = 0;
        try {
            for (JsonNode step : steps) {
                n++;
                if (!step(endpoint, step)) {
                    return;
                }
            }
            pending.remove(endpoint);
            finished.put(endpoint, true);
            drain(endpoint, Long.MAX_VALUE);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | RuntimeException e) {
            problem(endpoint + " step " + n + " " + step(steps.get(n - 1)) + ": " + e);
        }
    }

    /** After the script: frames are unexpected (acks and read markers excepted). */
    private void drain(String endpoint, long millis) {
        long deadline = System.currentTimeMillis() + Math.min(millis, 1_000_000_000L);
        try {
            while (!stopping && System.currentTimeMillis() < deadline) {
                Event ev = events.get(endpoint).poll(100, TimeUnit.MILLISECONDS);
                if (ev != null && ev.kind.equals("frame") && !background(endpoint, ev.text)) {
                    problem(endpoint + ": unexpected frame after the script ended: " + ev.text);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private boolean step(String endpoint, JsonNode step) throws InterruptedException, IOException {
        pending.put(endpoint, step(step));
        log.accept(endpoint + " step " + step(step));
        if (step.has("await")) {
            return await(endpoint, step);
        }
        WsServer.Connection c = current.get(endpoint);
        if (step.has("sleep")) {
            Thread.sleep(step.get("sleep").asLong());
            return true;
        }
        if (c == null) {
            problem(endpoint + " step " + step(step) + ": no connection");
            return false;
        }
        if (step.has("reply")) {
            reply(c, substitute(Json.write(step.get("reply"))));
        } else if (step.has("close")) {
            log.accept(endpoint + " > close " + step.get("close").asInt());
            c.close(step.get("close").asInt(), step.path("reason").asText(""));
        } else if (step.has("drop")) {
            log.accept(endpoint + " > drop (no close frame)");
            c.drop();
        } else if (step.has("silence")) {
            log.accept(endpoint + " > silence (half-open)");
            c.silence();
        } else {
            throw new IllegalArgumentException("unknown step " + step);
        }
        if (step.has("mark")) {
            marks.put(step.get("mark").asText(), System.nanoTime());
        }
        return true;
    }

    private void reply(WsServer.Connection c, String text) {
        JsonNode f = parse(text);
        long seq = f.path("type").asText().equals("gap") ? f.path("to").asLong() : f.path("seq").asLong();
        if (!f.path("type").asText().equals("caught_up")) {
            delivered.merge(c, seq, Math::max);
        }
        try {
            log.accept(endpoint(c) + " > " + text);
            c.send(text);
        } catch (IOException e) {
            log.accept(endpoint(c) + " > (write failed: " + e.getMessage() + ")");
        }
    }

    /** Waits for the next connection ({@code "await":"connect"}) or client frame of the type named. */
    private boolean await(String endpoint, JsonNode step) throws InterruptedException {
        String what = step.get("await").asText();
        long timeout = step.path("timeoutMs").asLong(awaitTimeoutMs);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeout);
        while (true) {
            Event ev = events.get(endpoint).poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (ev == null) {
                problem(endpoint + " step " + step(step) + ": nothing within " + timeout + " ms");
                return false;
            }
            if (what.equals("connect") && ev.kind.equals("connect")) {
                return timing(endpoint, step, ev) && queryMatches(endpoint, step, ev.text);
            }
            if (!what.equals("connect") && ev.kind.equals("frame")) {
                JsonNode frame = parse(ev.text);
                String type = frame.path("type").asText();
                if (!type.equals(what) && background(endpoint, ev.text)) {
                    continue;
                }
                if (!type.equals(what) || !fieldsMatch(step.path("match"), frame)) {
                    problem(endpoint + " step " + step(step) + ": got " + ev.text);
                    return false;
                }
                step.path("bind").fields().forEachRemaining(b -> vars.put(b.getKey(), text(frame.path(b.getValue().asText()))));
                return timing(endpoint, step, ev);
            }
        }
    }

    private boolean background(String endpoint, String text) {
        return endpoint.equals("inbox") && INBOX_BACKGROUND.contains(parse(text).path("type").asText());
    }

    private static JsonNode parse(String text) {
        try {
            return Json.MAPPER.readTree(text);
        } catch (IOException | RuntimeException e) {
            return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
        }
    }

    /** {@code notBefore}/{@code within}: {"mark": name, "ms": n}, the event's time relative to a marked step. */
    private boolean timing(String endpoint, JsonNode step, Event ev) {
        for (String rule : List.of("notBefore", "within")) {
            JsonNode r = step.get(rule);
            if (r == null) {
                continue;
            }
            Long mark = marks.get(r.get("mark").asText());
            if (mark == null) {
                throw new IllegalArgumentException("no mark " + r.get("mark"));
            }
            long ms = TimeUnit.NANOSECONDS.toMillis(ev.at - mark);
            boolean ok = rule.equals("notBefore") ? ms >= r.get("ms").asLong() : ms <= r.get("ms").asLong();
            if (!ok) {
                problem(endpoint + " step " + step(step) + ": came " + ms + " ms after '" + r.get("mark").asText()
                        + "' (" + rule + " " + r.get("ms").asLong() + " ms)");
                return false;
            }
            log.accept(endpoint + "   (" + ms + " ms after '" + r.get("mark").asText() + "')");
        }
        return true;
    }

    /** {@code query}: parameter → expected value, or null for "absent". */
    private boolean queryMatches(String endpoint, JsonNode step, String target) {
        Map<String, String> query = new HashMap<>();
        int q = target.indexOf('?');
        if (q >= 0) {
            for (String p : target.substring(q + 1).split("&")) {
                int eq = p.indexOf('=');
                query.put(URLDecoder.decode(eq < 0 ? p : p.substring(0, eq), StandardCharsets.UTF_8),
                        eq < 0 ? "" : URLDecoder.decode(p.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = step.path("query").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            String expected = f.getValue().isNull() ? null : substitute(text(f.getValue()));
            String actual = query.get(f.getKey());
            if (expected == null ? actual != null : !expected.equals(actual)) {
                problem(endpoint + " step " + step(step) + ": query " + f.getKey() + "=" + actual + " in " + target);
                return false;
            }
        }
        return true;
    }

    private boolean fieldsMatch(JsonNode match, JsonNode frame) {
        for (Iterator<Map.Entry<String, JsonNode>> it = match.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            if (!substitute(text(f.getValue())).equals(text(frame.path(f.getKey())))) {
                return false;
            }
        }
        return true;
    }

    private static String text(JsonNode n) {
        return n.isTextual() ? n.textValue() : n.isMissingNode() ? "" : n.toString();
    }

    private static String step(JsonNode step) {
        return step.toString();
    }

    /** Replaces {@code ${name}} by bound variables. */
    String substitute(String s) {
        Matcher m = VAR.matcher(s);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String v = vars.get(m.group(1));
            m.appendReplacement(out, Matcher.quoteReplacement(v != null ? v : m.group()));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** The steps the scripts did not get past, e.g. {@code send: {"await":"send"}}. */
    List<String> unfinished() {
        List<String> out = new ArrayList<>();
        for (String e : ENDPOINTS) {
            if (!finished.getOrDefault(e, false)) {
                out.add(e + ": " + pending.getOrDefault(e, "(failed)"));
            }
        }
        return out;
    }

    @Override
    public void close() throws IOException {
        stopping = true;
        players.values().forEach(Thread::interrupt);
        ws.close();
    }
}
