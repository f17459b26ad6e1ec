package dev.pigeonhole.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pigeonhole.protocol.Json;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * What one endpoint ({@code send} or {@code inbox}) of the fault server does, on its own thread: a scenario's list of
 * steps played in order, {@code "idle"} (every connection gets an empty {@code backlog} and {@code caught_up}), or
 * nothing (the endpoint must not be used). After its steps, any client frame is unexpected (acks and read markers
 * excepted). Problems go to the {@link FaultServer}.
 */
final class EndpointScript implements Runnable {
    /** What happened on the endpoint's connections, in order. */
    record Event(String kind, WsServer.Connection connection, String text, long at) {}

    private final String endpoint;
    private final JsonNode script;
    private final FaultServer server;
    private final long awaitTimeoutMs;
    final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private volatile boolean finished;
    /** The step being played (until the script ends). */
    private volatile String pending;
    private volatile boolean stopping;

    EndpointScript(String endpoint, JsonNode script, FaultServer server, long awaitTimeoutMs) {
        this.endpoint = endpoint;
        this.script = script;
        this.server = server;
        this.awaitTimeoutMs = awaitTimeoutMs;
    }

    boolean finished() {
        return finished;
    }

    /** The step the script did not get past, or null. */
    String pending() {
        return finished ? null : pending;
    }

    void stop() {
        stopping = true;
    }

    @Override
    public void run() {
        try {
            if (script.isArray()) {
                for (JsonNode step : script) {
                    pending = step.toString();
                    server.log(endpoint + " step " + pending);
                    if (!step(step)) {
                        return;
                    }
                }
            }
            finished = true;
            boolean idle = "idle".equals(script.asText());
            while (!stopping) {
                Event ev = events.poll(100, TimeUnit.MILLISECONDS);
                if (ev != null && idle && ev.kind.equals("connect")) {
                    server.reply(ev.connection, "{\"type\":\"backlog\",\"count\":0,\"head\":0,\"epoch\":1}");
                    server.reply(ev.connection, "{\"type\":\"caught_up\",\"seq\":0,\"epoch\":1}");
                } else if (ev != null && ev.kind.equals("frame") && !background(ev.text)) {
                    server.problem(endpoint + ": unexpected frame" + (script.isArray() ? " after the script ended: " : ": ")
                            + ev.text);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | RuntimeException e) {
            server.problem(endpoint + " step " + pending + ": " + e);
        }
    }

    private boolean step(JsonNode step) throws InterruptedException, IOException {
        if (step.has("await")) {
            boolean ok = step.get("await").asText().equals("mark") ? awaitMark(step) : await(step);
            if (ok && step.has("mark")) {
                server.mark(step.get("mark").asText());
            }
            return ok;
        }
        if (step.has("sleep")) {
            Thread.sleep(step.get("sleep").asLong());
            return true;
        }
        WsServer.Connection c = server.current(endpoint);
        if (c == null) {
            server.problem(endpoint + " step " + step + ": no connection");
            return false;
        }
        if (step.has("reply")) {
            server.reply(c, server.substitute(Json.write(step.get("reply"))));
        } else if (step.has("close")) {
            server.log(endpoint + " > close " + step.get("close").asInt());
            c.close(step.get("close").asInt(), step.path("reason").asText(""));
        } else if (step.has("drop")) {
            server.log(endpoint + " > drop (no close frame)");
            c.drop();
        } else if (step.has("silence")) {
            server.log(endpoint + " > silence (half-open)");
            c.silence();
        } else {
            throw new IllegalArgumentException("unknown step " + step);
        }
        if (step.has("mark")) {
            server.mark(step.get("mark").asText());
        }
        return true;
    }

    /** Waits for the next connection ({@code "await":"connect"}) or client frame of the type named. */
    private boolean await(JsonNode step) throws InterruptedException {
        String what = step.get("await").asText();
        long timeout = step.path("timeoutMs").asLong(awaitTimeoutMs);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeout);
        while (true) {
            Event ev = events.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (ev == null) {
                server.problem(endpoint + " step " + step + ": nothing within " + timeout + " ms");
                return false;
            }
            if (what.equals("connect") && ev.kind.equals("connect")) {
                return timing(step, ev) && queryMatches(step, ev.text);
            }
            if (what.equals("connect") && ev.kind.equals("frame") && !background(ev.text)) {
                server.problem(endpoint + " step " + step + ": got " + ev.text);
                return false;
            }
            if (!what.equals("connect") && ev.kind.equals("frame")) {
                JsonNode frame = FaultServer.parse(ev.text);
                String type = frame.path("type").asText();
                if (!type.equals(what) && background(ev.text)) {
                    continue;
                }
                if (!type.equals(what) || !fieldsMatch(step.path("match"), frame)) {
                    server.problem(endpoint + " step " + step + ": got " + ev.text);
                    return false;
                }
                step.path("bind").fields().forEachRemaining(b -> server.bind(b.getKey(), text(frame.path(b.getValue().asText()))));
                return timing(step, ev);
            }
        }
    }

    /** {@code {"await": "mark", "mark": NAME}}: waits until a step of either endpoint set that mark. */
    private boolean awaitMark(JsonNode step) throws InterruptedException {
        long timeout = step.path("timeoutMs").asLong(awaitTimeoutMs);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeout);
        String name = step.path("until").asText();
        while (!server.marked(name)) {
            if (System.nanoTime() - deadline > 0) {
                server.problem(endpoint + " step " + step + ": no step marked '" + name + "' within " + timeout + " ms");
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }

    /**
     * Acks and read markers may come at any time on the inbox, {@code ping} frames on both endpoints (the server
     * answered them already): no script needs to wait for them.
     */
    private boolean background(String text) {
        String type = FaultServer.parse(text).path("type").asText();
        return type.equals("ping") || endpoint.equals("inbox") && List.of("ack", "read").contains(type);
    }

    /** {@code notBefore}/{@code within}: {"mark": name, "ms": n}, the event's time relative to a marked step. */
    private boolean timing(JsonNode step, Event ev) {
        for (String rule : List.of("notBefore", "within")) {
            JsonNode r = step.get(rule);
            if (r == null) {
                continue;
            }
            String mark = r.get("mark").asText();
            long ms = TimeUnit.NANOSECONDS.toMillis(ev.at - server.markedAt(mark));
            boolean ok = rule.equals("notBefore") ? ms >= r.get("ms").asLong() : ms <= r.get("ms").asLong();
            if (!ok) {
                server.problem(endpoint + " step " + step + ": came " + ms + " ms after '" + mark + "' (" + rule + " "
                        + r.get("ms").asLong() + " ms)");
                return false;
            }
            server.log(endpoint + "   (" + ms + " ms after '" + mark + "')");
        }
        return true;
    }

    /** {@code query}: parameter → expected value, or null for "absent". */
    private boolean queryMatches(JsonNode step, String target) {
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
            String expected = f.getValue().isNull() ? null : server.substitute(text(f.getValue()));
            String actual = query.get(f.getKey());
            if (expected == null ? actual != null : !expected.equals(actual)) {
                server.problem(endpoint + " step " + step + ": query " + f.getKey() + "=" + actual + " in " + target);
                return false;
            }
        }
        return true;
    }

    private boolean fieldsMatch(JsonNode match, JsonNode frame) {
        for (Iterator<Map.Entry<String, JsonNode>> it = match.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            if (!server.substitute(text(f.getValue())).equals(text(frame.path(f.getKey())))) {
                return false;
            }
        }
        return true;
    }

    /** A field as text: strings without quotes, anything else as JSON. */
    static String text(JsonNode n) {
        return n.isTextual() ? n.textValue() : n.isMissingNode() ? "" : n.toString();
    }
}
