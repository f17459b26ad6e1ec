package dev.pigeonhole.client.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pigeonhole.client.ConnectionState;
import dev.pigeonhole.client.Listener;
import dev.pigeonhole.client.PigeonholeClient;
import dev.pigeonhole.client.ShadowDelta;
import dev.pigeonhole.client.ShadowDocument;
import dev.pigeonhole.client.ShadowDocuments;
import dev.pigeonhole.client.ShadowException;
import dev.pigeonhole.protocol.Json;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code shadow get|desire|report|watch}: device shadows (docs/shadow.md) from the command line. */
@Command(name = "shadow", mixinStandardHelpOptions = true,
        description = {"Device shadows: the state an app wants a thing (one of your devices) to be in (desired) and the"
                + " state the thing reports (reported). See docs/shadow.md."},
        subcommands = {ShadowCommand.Get.class, ShadowCommand.Desire.class, ShadowCommand.Report.class,
                ShadowCommand.Watch.class})
final class ShadowCommand {

    private static synchronized void out(String line) {
        System.out.println(line);
        System.out.flush();
    }

    private static synchronized void err(String line) {
        System.err.println(line);
        System.err.flush();
    }

    private static ShadowException rejection(Throwable e) {
        Throwable cause = e instanceof ExecutionException || e instanceof java.util.concurrent.CompletionException
                ? e.getCause() : e;
        return cause instanceof ShadowException s ? s : null;
    }

    private static String describe(ShadowException e) {
        return "rejected " + e.code() + ": " + e.getMessage().substring(e.code().length() + 2)
                + (e.currentVersion() == null ? "" : " (current version " + e.currentVersion() + ")");
    }

    /** Reports on stderr, once, that the server cannot be reached (the command goes on waiting). */
    private static final class Unreachable implements Listener {
        private final String what;
        private final ClientMixin client;
        private final Refusal refusal = new Refusal();
        private boolean said;

        Unreachable(String what, ClientMixin client) {
            this.what = what;
            this.client = client;
        }

        @Override
        public void onConnectionState(ConnectionState state) {
            if (state == ConnectionState.OFFLINE && !said && !refusal.happened()) {
                said = true;
                err("* server unreachable (" + client.server + "): " + what);
            }
        }

        @Override
        public void onRefused(int closeCode, String reason) {
            if (refusal.refused(closeCode)) {
                err(Refusal.stopping(closeCode, reason, client));
                refusal.said();
            }
        }

        /** The exit code for a request that failed without a server answer: refused (4) or 2. */
        int failed(ExecutionException e) throws InterruptedException {
            if (refusal.awaitSaid(Duration.ofSeconds(1))) {
                return PigeonholeCli.REFUSED;
            }
            err("failed: " + e.getCause().getMessage());
            return PigeonholeCli.REJECTED;
        }
    }

    @Command(name = "get", mixinStandardHelpOptions = true, description = "Print the shadow's document (JSON).",
            footer = {"", "Exit codes: 0 printed, 2 rejected (e.g. not_found; message on stderr) or invalid arguments,"
                    + " 3 no answer within --wait (server unreachable), 4 refused by the server (e.g. 4103 displaced: said"
                    + " on stderr), 5 the data directory is used by another pigeonhole-cli."})
    static final class Get implements Callable<Integer> {
        @Mixin
        ClientMixin client;

        @Parameters(index = "0", paramLabel = "THING", description = "The thing: one of your device ids")
        String thing;

        @Option(names = "--name", defaultValue = "", description = "A named shadow (default: the classic, unnamed one)")
        String name;

        @Option(names = "--wait", defaultValue = "PT30S", description = "How long to wait for the answer (default ${DEFAULT-VALUE})")
        Duration wait;

        @Override
        public Integer call() throws Exception {
            Unreachable listener = new Unreachable("waiting up to " + wait, client);
            try (PigeonholeClient c = client.start(listener)) {
                CompletableFuture<ShadowDocument> doc = c.shadow(thing, name).get();
                try {
                    out(doc.get(wait.toMillis(), TimeUnit.MILLISECONDS).json());
                    return PigeonholeCli.OK;
                } catch (ExecutionException e) {
                    ShadowException r = rejection(e);
                    if (r == null) {
                        return listener.failed(e);
                    }
                    err(describe(r));
                    return PigeonholeCli.REJECTED;
                } catch (TimeoutException e) {
                    err("no answer within " + wait);
                    return PigeonholeCli.STILL_QUEUED;
                }
            }
        }
    }

    /** What {@code desire} and {@code report} share. */
    abstract static class Update implements Callable<Integer> {
        @Mixin
        ClientMixin client;

        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "THING", description = "The thing: one of your device ids")
        String thing;

        @Parameters(index = "1..*", arity = "1..*", paramLabel = "KEY=VALUE",
                description = {"Fields to set. A value is JSON when it parses as JSON (21, true, \"21\", [1,2],"
                        + " {\"a\":1}), else a string; a dotted key nests (mode.fan=auto); KEY=null deletes the field."})
        List<String> assignments;

        @Option(names = "--name", defaultValue = "", description = "A named shadow (default: the classic, unnamed one)")
        String name;

        @Option(names = "--version", description = "Apply only if the shadow's version is this (0: it does not exist"
                + " yet); else rejected with version_conflict")
        Long version;

        @Option(names = "--wait", defaultValue = "PT30S", description = "How long to wait for the answer (default ${DEFAULT-VALUE})")
        Duration wait;

        @Option(names = "--json", description = "Print the whole document after the update instead of a summary")
        boolean json;

        abstract CompletableFuture<ShadowDocument> update(PigeonholeClient c, String patch, Long version);

        void check() {}

        @Override
        public Integer call() throws Exception {
            ObjectNode patch;
            try {
                patch = ShadowPatchArgs.parse(assignments);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
            if (version != null && version < 0) {
                throw new ParameterException(spec.commandLine(), "--version must be >= 0");
            }
            check();
            Unreachable listener = new Unreachable("the update is queued; waiting up to " + wait
                    + " (it stays queued if you stop this)", client);
            try (PigeonholeClient c = client.start(listener)) {
                CompletableFuture<ShadowDocument> answer = update(c, Json.write(patch), version);
                try {
                    ShadowDocument doc = answer.get(wait.toMillis(), TimeUnit.MILLISECONDS);
                    out(json ? doc.json() : "accepted version " + doc.version() + ", delta " + doc.delta());
                    return PigeonholeCli.OK;
                } catch (ExecutionException e) {
                    ShadowException r = rejection(e);
                    if (r == null) {
                        return listener.failed(e);
                    }
                    err(describe(r));
                    return PigeonholeCli.REJECTED;
                } catch (TimeoutException e) {
                    err("still queued: no answer within " + wait + "; the update stays in the outbox and goes out with"
                            + " the next pigeonhole-cli run of --user " + client.user + " --device " + client.device
                            + " (e.g. flush)");
                    return PigeonholeCli.STILL_QUEUED;
                }
            }
        }
    }

    @Command(name = "desire", mixinStandardHelpOptions = true,
            description = {"Set the desired state of a thing, e.g. desire thermostat temperature=21 mode.fan=auto.",
                    "Works offline: the update waits in the outbox (a newer one for the same shadow is merged into it)"
                            + " and is sent when the server is reachable."},
            footer = {"", "Prints 'accepted version N, delta {...}' (--json: the document).",
                    "Exit codes: 0 accepted, 2 rejected (e.g. version_conflict; message on stderr) or invalid arguments,"
                            + " 3 still queued (sent by a later run with the same --user/--device, e.g. flush), 4 refused"
                            + " by the server (e.g. 4103 displaced; the update stays queued), 5 the data directory is used"
                            + " by another pigeonhole-cli."})
    static final class Desire extends Update {
        @Override
        CompletableFuture<ShadowDocument> update(PigeonholeClient c, String patch, Long version) {
            return version == null ? c.shadow(thing, name).updateDesired(patch)
                    : c.shadow(thing, name).updateDesired(patch, version);
        }
    }

    @Command(name = "report", mixinStandardHelpOptions = true,
            description = {"Report a thing's state, as the thing: run it with --device THING (only the thing itself"
                    + " may write 'reported'), e.g. report thermostat temperature=19 --device thermostat.",
                    "Works offline like desire."},
            footer = {"", "Prints 'accepted version N, delta {...}' (--json: the document).",
                    "Exit codes: 0 accepted, 2 rejected or invalid arguments (also: --device is not THING),"
                            + " 3 still queued (sent by a later run with the same --user/--device), 4 refused by the server"
                            + " (the update stays queued), 5 the data directory is used by another pigeonhole-cli."})
    static final class Report extends Update {
        @Override
        void check() {
            if (!thing.equals(client.device)) {
                throw new ParameterException(spec.commandLine(), "only the thing itself reports its state: run this"
                        + " as the thing, with --device " + thing + " (now --device " + client.device + ")");
            }
        }

        @Override
        CompletableFuture<ShadowDocument> update(PigeonholeClient c, String patch, Long version) {
            return version == null ? c.shadow(thing, name).updateReported(patch)
                    : c.shadow(thing, name).updateReported(patch, version);
        }
    }

    @Command(name = "watch", mixinStandardHelpOptions = true,
            description = {"Print the thing's shadow deltas as JSON lines as they arrive, starting with those that"
                    + " waited (only the latest of each shadow waits for a device that was away; on this device's"
                    + " first run, those still in the inbox). Keeps running; what was printed is acknowledged. Run it"
                    + " as the thing (--device THING) to follow its work orders, or as any other device of yours."},
            footer = {"", "Exit codes: 0 after --count deltas (without --count it runs until stopped, retrying while the"
                    + " server is unreachable: '* offline (retrying)' on stderr), 2 invalid arguments, 4 refused by the"
                    + " server (said on stderr, e.g. '* displaced: another client of alice/thermostat took this device's"
                    + " inbox (4103); stopping'; also 4100 unauthorized, 4104 device removed, 4105 too many devices),"
                    + " 5 the data directory is used by another pigeonhole-cli."})
    static final class Watch implements Callable<Integer> {
        @Mixin
        ClientMixin client;

        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "THING", description = "The thing: one of your device ids")
        String thing;

        @Option(names = "--name", description = "Only this named shadow (\"\" for the classic one; default: every"
                + " shadow of the thing)")
        String name;

        @Option(names = "--documents", description = "Also print shadow_documents entries (every change: previous and"
                + " current document)")
        boolean documents;

        @Option(names = "--apply", description = "Act as the thing: report each delta's state as done (needs --device"
                + " THING)")
        boolean apply;

        @Option(names = "--count", description = "Exit after this many deltas (default: run until stopped)")
        Integer count;

        @Override
        public Integer call() throws Exception {
            if (apply && !thing.equals(client.device)) {
                throw new ParameterException(spec.commandLine(), "--apply reports as the thing: run it with --device "
                        + thing + " (now --device " + client.device + ")");
            }
            CountDownLatch done = new CountDownLatch(1);
            AtomicInteger deltas = new AtomicInteger();
            Refusal refusal = new Refusal();
            ConnectionNotices notices = new ConnectionNotices(ShadowCommand::err);
            PigeonholeClient[] self = new PigeonholeClient[1];
            CountDownLatch started = new CountDownLatch(1);
            try (PigeonholeClient c = client.start(new Listener() {
                private boolean mine(String t, String n) {
                    return thing.equals(t) && (name == null || name.equals(n));
                }

                @Override
                public void onShadowDelta(ShadowDelta d) {
                    if (!mine(d.thing(), d.name())) {
                        return;
                    }
                    ObjectNode line = Json.MAPPER.createObjectNode().put("type", "shadow_delta").put("seq", d.seq())
                            .put("thing", d.thing()).put("name", d.name()).put("version", d.version());
                    line.set("state", Json.read(d.state(), JsonNode.class));
                    line.put("clientToken", d.clientToken()).put("at", d.at());
                    out(Json.write(line));
                    if (!apply) {
                        counted();
                        return;
                    }
                    awaitStart();
                    self[0].shadow(d.thing(), d.name()).updateReported(d.state()).whenComplete((doc, e) -> {
                        ShadowException r = e == null ? null : rejection(e);
                        err(e == null ? "* reported " + d.state() + ": version " + doc.version() + ", delta " + doc.delta()
                                : "* report failed: " + (r != null ? describe(r) : e.getMessage()));
                        counted();
                    });
                }

                private void awaitStart() {
                    try {
                        started.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }

                private void counted() {
                    if (count != null && deltas.incrementAndGet() >= count) {
                        done.countDown();
                    }
                }

                @Override
                public void onShadowDocuments(ShadowDocuments d) {
                    if (!documents || !mine(d.thing(), d.name())) {
                        return;
                    }
                    ObjectNode line = Json.MAPPER.createObjectNode().put("type", "shadow_documents").put("seq", d.seq())
                            .put("thing", d.thing()).put("name", d.name()).put("by", d.by());
                    line.set("previous", d.previous() == null ? Json.MAPPER.nullNode() : Json.read(d.previous().json(), JsonNode.class));
                    line.set("current", d.current() == null ? Json.MAPPER.nullNode() : Json.read(d.current().json(), JsonNode.class));
                    line.put("at", d.at());
                    out(Json.write(line));
                }

                @Override
                public void onGap(long from, long to, String reason) {
                    err("* inbox entries " + from + ".." + to + " are gone from the server (" + reason + ")");
                }

                @Override
                public void onConnectionState(ConnectionState state) {
                    notices.changed(state);
                }

                @Override
                public void onRefused(int closeCode, String reason) {
                    if (refusal.refused(closeCode)) {
                        notices.stop();
                        err(Refusal.stopping(closeCode, reason, client));
                        done.countDown();
                    }
                }
            }, true)) { // a device's first run reads the retained inbox: the thing's waiting deltas are there
                self[0] = c;
                started.countDown();
                done.await();
                return refusal.happened() ? PigeonholeCli.REFUSED : PigeonholeCli.OK;
            } finally {
                notices.close();
            }
        }
    }
}
