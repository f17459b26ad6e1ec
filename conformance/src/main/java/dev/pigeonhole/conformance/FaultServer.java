package dev.pigeonhole.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.pigeonhole.protocol.Frames;
import dev.pigeonhole.protocol.Json;
import dev.pigeonhole.protocol.ProtocolException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Plays one scenario ({@code scenarios/*.json}, format in conformance/README.md) on {@code /v1/send} and
 * {@code /v1/inbox} of 127.0.0.1: each endpoint runs its {@link EndpointScript} against the connections the client
 * opens (a step that waits for a frame takes it from whichever connection of that endpoint sent it, so a client may
 * resend on the same connection or on a new one). Every client frame is also parsed with the protocol module's
 * strict parsers, and an {@code ack} or {@code read} may not go beyond what its connection delivered. What went wrong
 * is collected in {@link #problems()}.
 */
final class FaultServer implements AutoCloseable {
    static final List<String> ENDPOINTS = List.of("send", "inbox");
    /** How long an {@code await} step waits unless it says ({@code timeoutMs}). */
    static final long DEFAULT_TIMEOUT_MS = 10_000;
    private static final Pattern VAR = Pattern.compile("\\$\\{([A-Za-z0-9_]+)}");
    private static final Pattern AFTER = Pattern.compile("[?&]after=(\\d+)");

    private final WsServer ws;
    private final Consumer<String> log;
    private final Map<String, EndpointScript> scripts = new LinkedHashMap<>();
    private final Map<String, WsServer.Connection> current = new ConcurrentHashMap<>();
    private final Map<String, Integer> connectionCounts = new ConcurrentHashMap<>();
    private final Map<String, String> vars = new ConcurrentHashMap<>();
    private final Map<String, Long> marks = new ConcurrentHashMap<>();
    private final List<String> problems = new CopyOnWriteArrayList<>();
    private final List<Thread> players = new ArrayList<>();
    private final Frames frames = new Frames(Frames.DEFAULT_MAX_BODY_BYTES);
    /** Per inbox connection: the highest seq it delivered (entries, gap ends) or resumed after; acks may not exceed it. */
    private final Map<WsServer.Connection, Long> delivered = new ConcurrentHashMap<>();
    private volatile boolean stopping;

    /** @param awaitTimeoutMs how long an {@code await} step waits unless it says ({@code timeoutMs}) */
    FaultServer(JsonNode scenario, int port, long awaitTimeoutMs, Consumer<String> log) throws IOException {
        this.log = log;
        for (String e : ENDPOINTS) {
            scripts.put(e, new EndpointScript(e, scenario.path(e), this, awaitTimeoutMs));
            connectionCounts.put(e, 0);
        }
        // "webSocketPings": "ignore" — no pong to WebSocket pings, so only ping frames show the server alive
        boolean answerPings = !scenario.path("webSocketPings").asText("answer").equals("ignore");
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
                Matcher after = AFTER.matcher(c.target());
                delivered.put(c, after.find() ? Long.parseLong(after.group(1)) : 0L);
                current.put(e, c);
                log(e + " < connect " + c.target());
                scripts.get(e).events.add(new EndpointScript.Event("connect", c, c.target(), System.nanoTime()));
            }

            @Override
            public void text(WsServer.Connection c, String text) {
                String e = endpoint(c);
                log(e + " < " + text);
                check(e, c, text);
                if (parse(text).path("type").asText().equals("ping")) {
                    reply(c, "{\"type\":\"pong\"}"); // at once, like a WebSocket pong; never while silent
                }
                scripts.get(e).events.add(new EndpointScript.Event("frame", c, text, System.nanoTime()));
            }

            @Override
            public void closed(WsServer.Connection c, int code) {
                if (endpoint(c) != null) {
                    log(endpoint(c) + " < closed " + code);
                }
            }
        }, answerPings);
        scripts.forEach((e, s) -> {
            Thread t = new Thread(s, "script-" + e);
            t.setDaemon(true);
            players.add(t);
            t.start();
        });
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

    List<String> problems() {
        return problems;
    }

    /**
     * Whether every scripted step was played: waits up to {@code millis} for the scripts to get there, or until one
     * of them failed.
     */
    boolean awaitScripts(long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        while (System.currentTimeMillis() < deadline && !allFinished() && players.stream().allMatch(Thread::isAlive)) {
            Thread.sleep(20);
        }
        return allFinished();
    }

    private boolean allFinished() {
        return scripts.values().stream().allMatch(EndpointScript::finished);
    }

    /** The steps the scripts did not get past, e.g. {@code send: {"await":"send"}}. */
    List<String> unfinished() {
        List<String> out = new ArrayList<>();
        scripts.forEach((e, s) -> {
            if (!s.finished()) {
                out.add(e + ": " + s.pending());
            }
        });
        return out;
    }

    void log(String line) {
        log.accept(line);
    }

    void problem(String p) {
        if (!stopping) {
            log("PROBLEM " + p);
            problems.add(p);
        }
    }

    WsServer.Connection current(String endpoint) {
        return current.get(endpoint);
    }

    void bind(String var, String value) {
        vars.put(var, value);
    }

    void mark(String name) {
        marks.put(name, System.nanoTime());
    }

    boolean marked(String name) {
        return marks.containsKey(name);
    }

    long markedAt(String name) {
        Long at = marks.get(name);
        if (at == null) {
            throw new IllegalArgumentException("no step marked '" + name + "' before");
        }
        return at;
    }

    /** Sends a server frame (a failed write is only logged: the client may be gone, as in real life). */
    void reply(WsServer.Connection c, String text) {
        JsonNode f = parse(text);
        String type = f.path("type").asText();
        if (!type.equals("caught_up")) {
            delivered.merge(c, type.equals("gap") ? f.path("to").asLong() : f.path("seq").asLong(), Math::max);
        }
        try {
            log(endpoint(c) + " > " + text);
            c.send(text);
        } catch (IOException e) {
            log(endpoint(c) + " > (write failed: " + e.getMessage() + ")");
        }
    }

    /** Every client frame must be one the real servers accept; acks only what the connection delivered. */
    private void check(String endpoint, WsServer.Connection c, String text) {
        try {
            if (endpoint.equals("send")) {
                frames.parseSendSocket(text);
            } else {
                frames.parseInbox(text);
            }
        } catch (ProtocolException | RuntimeException e) {
            problem(endpoint + ": the client sent a frame the server refuses (" + e.getMessage() + "): " + text);
        }
        JsonNode f = parse(text);
        String type = f.path("type").asText();
        if ((type.equals("ack") || type.equals("read")) && f.path("seq").asLong() > delivered.getOrDefault(c, 0L)) {
            problem(endpoint + ": " + type + " beyond what this connection delivered (" + delivered.get(c) + "): " + text);
        }
    }

    private static String endpoint(WsServer.Connection c) {
        String path = c.target().split("\\?")[0];
        return path.equals("/v1/send") ? "send" : path.equals("/v1/inbox") ? "inbox" : null;
    }

    static JsonNode parse(String text) {
        try {
            return Json.MAPPER.readTree(text);
        } catch (IOException | RuntimeException e) {
            return MissingNode.getInstance();
        }
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

    @Override
    public void close() throws IOException {
        stopping = true;
        scripts.values().forEach(EndpointScript::stop);
        players.forEach(Thread::interrupt);
        ws.close();
    }
}
