package dev.pigeonhole.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pigeonhole.client.internal.AutoDownload;
import dev.pigeonhole.client.internal.Backoff;
import dev.pigeonhole.client.internal.InboxLink;
import dev.pigeonhole.client.internal.InboxRows;
import dev.pigeonhole.client.internal.JdkTransport;
import dev.pigeonhole.client.internal.LoopTimers;
import dev.pigeonhole.client.internal.MemoryStore;
import dev.pigeonhole.client.internal.SendLink;
import dev.pigeonhole.client.internal.SerialExecutor;
import dev.pigeonhole.client.internal.ShadowRequests;
import dev.pigeonhole.client.internal.SqliteStore;
import dev.pigeonhole.client.internal.Uploader;
import dev.pigeonhole.client.internal.Downloads;
import dev.pigeonhole.client.spi.InboxRow;
import dev.pigeonhole.client.spi.InboxStore;
import dev.pigeonhole.client.spi.OutboxMessage;
import dev.pigeonhole.client.spi.Store;
import dev.pigeonhole.client.spi.Transport;
import dev.pigeonhole.protocol.Ids;
import dev.pigeonhole.protocol.Json;
import dev.pigeonhole.protocol.ServerFrame;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A Pigeonhole client for one device of one user.
 *
 * <p>Sending works offline: {@link #send} returns at once and the client's I/O thread stores the message in the
 * outbox (SQLite in the data directory; {@link Outgoing#queued()} completes then) and delivers it to the server
 * whenever a connection exists — across reconnects and restarts, with the same id, until the server accepts or
 * rejects it. The server deduplicates by id, so a message
 * is stored once however often it is resent.
 *
 * <p>Receiving: the inbox connection stays up (reconnecting with jittered backoff, declaring a silent connection
 * dead after two ping intervals). Every entry received is written to the local message store (the same SQLite
 * database as the outbox; memory without a data directory) in one transaction with the position the next connection
 * resumes after, so nothing received is lost to the application: it is readable with {@link #history},
 * {@link #unshown} and {@link #unreadCount}, offline too. The {@link Listener} is fed from that store, in order and
 * <em>at least once</em>: an entry counts as delivered only after the listener returned; one whose listener call
 * did not finish (the process died) is handed over again on the next start, with the same seq, before anything
 * newer. Only delivered entries are acknowledged to the server.
 *
 * <p>Device shadows: {@link #shadow(String)} reads and updates the desired/reported state of the user's things;
 * updates wait in the outbox while offline, like messages (see {@link Shadow}).
 *
 * <p>Thread-safe. Listener methods run one at a time, in order, on a client-owned thread or the executor given as
 * {@link ClientOptions.Builder#listenerExecutor}.
 */
public final class PigeonholeClient implements AutoCloseable {
    private final ClientOptions options;
    private final Listener listener;
    private final Store store;
    private final ScheduledExecutorService loop;
    /** The listener's callbacks, one at a time, on the app's executor or {@code listenerThread}. */
    private final SerialExecutor callbacks;
    /** The client's own listener thread; null with an app's executor. */
    private final ExecutorService listenerThread;
    private final InboxLink inbox;
    private final SendLink sendLink;
    private final ShadowRequests shadows;
    private final Uploader uploader;
    private final HttpClient http;

    /** Messages not answered yet, in the order sent (outbox order). */
    private final Map<String, Outgoing> outgoing = Collections.synchronizedMap(new LinkedHashMap<>());
    private volatile boolean closed;
    private volatile boolean storeClosed;

    private PigeonholeClient(ClientOptions options, Listener listener, Store store) {
        this.options = options;
        this.listener = listener;
        this.store = store;
        String name = options.user() + "/" + options.device();
        ScheduledThreadPoolExecutor loopExecutor = new ScheduledThreadPoolExecutor(1, r -> daemon(r, "pigeonhole-client " + name));
        // Timers still pending at close (send idle, acks, resends, reconnects) are dropped, not waited for: close()
        // runs the links' own shutdown first, and a pending timer must not hold the process up.
        loopExecutor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        loopExecutor.setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
        loopExecutor.setRemoveOnCancelPolicy(true);
        loop = loopExecutor;
        listenerThread = options.listenerExecutor() != null ? null
                : Executors.newSingleThreadExecutor(r -> daemon(r, "pigeonhole-listener " + name));
        callbacks = new SerialExecutor(listenerThread != null ? listenerThread : options.listenerExecutor());
        LoopTimers timers = new LoopTimers(loop);
        // Socket callbacks may arrive after close(): drop them instead of failing the JDK's threads.
        java.util.concurrent.Executor onLoop = task -> {
            try {
                loop.execute(task);
            } catch (java.util.concurrent.RejectedExecutionException closing) {
                // closed
            }
        };
        http = HttpClient.newBuilder().connectTimeout(options.connectTimeout()).build();
        Transport transport = options.transport() != null ? options.transport() : new JdkTransport(http);
        // Shadow futures complete off the client's threads (CompletableFuture's async pool): callers may join them
        // anywhere, listener methods included.
        shadows = new ShadowRequests(store, timers, onLoop, task -> CompletableFuture.runAsync(task));
        inbox = new InboxLink(transport, onLoop, timers, options.connectTimeout(), options.pingInterval(), backoff(),
                options.server(), options.user(), options.device(), options.token(), options.window(), options.history(), options.newest(), store,
                callbacks, listener, shadows);
        sendLink = new SendLink(transport, onLoop, timers, options.connectTimeout(), options.pingInterval(), backoff(),
                options.server(), options.user(), options.device(), options.token(), store, new Results(),
                options.maxInFlight(), options.sendIdleTimeout());
        if (options.autoDownloadMaxBytes() > 0) {
            inbox.autoDownload(new AutoDownload(http, httpBase(options), options.user(), options.device(), options.token(),
                    options.autoDownloadMaxBytes(), options.autoDownloadDir(), () -> inbox.state() == ConnectionState.ONLINE));
        }
        uploader = new Uploader(http, httpBase(options), options.user(), options.device(), options.token(), store,
                options.dataDir() == null ? null : options.dataDir().resolve("uploads"), backoff(), new UploadResults(), name);
    }

    /** The HTTP base URI: {@link ClientOptions#httpServer}, else the server's with ws → http, wss → https. */
    static java.net.URI httpBase(ClientOptions options) {
        if (options.httpServer() != null) {
            return options.httpServer();
        }
        String s = options.server().toString();
        return java.net.URI.create(s.startsWith("wss:") ? "https:" + s.substring(4) : s.startsWith("ws:") ? "http:" + s.substring(3) : s);
    }

    /**
     * Opens the local store, resumes sending what the outbox holds, and connects the inbox.
     *
     * @throws DataDirectoryInUseException if another client (any process) runs with the same data directory
     */
    public static PigeonholeClient start(ClientOptions options, Listener listener) {
        Store store = options.store() != null ? options.store()
                : options.dataDir() != null ? new SqliteStore(options.dataDir()) : new MemoryStore();
        PigeonholeClient client = new PigeonholeClient(options, listener, store);
        List<OutboxMessage> pending = store.pending();
        for (OutboxMessage m : pending) {
            Outgoing o = new Outgoing(m.id(), m.to(), m.body());
            o.markQueued();
            client.outgoing.put(m.id(), o);
        }
        client.loop.execute(() -> {
            for (OutboxMessage m : pending) {
                if (store.uploads(m.id()).isEmpty()) {
                    client.sendLink.enqueue(m);
                } else {
                    client.uploader.resume(m); // sent once its uploads finished
                }
            }
            client.inbox.start();
        });
        return client;
    }

    /**
     * Sends {@code json} (a JSON object) to a user (or {@code group:<id>}) with a new message id. See
     * {@link #send(String, String, String)}.
     */
    public Outgoing send(String to, String json) {
        return send(UUID.randomUUID().toString(), to, json);
    }

    /** Sends {@code {"text": text}}. */
    public Outgoing sendText(String to, String text) {
        return send(to, Json.write(Json.MAPPER.createObjectNode().put("text", text)));
    }

    /**
     * Queues the message and returns at once: the client's I/O thread writes it to the outbox (durably: on disk with a
     * data directory), which completes {@link Outgoing#queued()}, and sends it as soon as a connection allows. Wait
     * for {@code queued()} before exiting when the message must survive the process. Sending again with the id of a
     * message not answered yet returns that message instead of adding one.
     *
     * @param json the body: a JSON object
     * @throws IllegalArgumentException for an invalid id or recipient, a body that is not a JSON object, or one over
     *                                  the size limit (these would be rejected by the server anyway)
     */
    public Outgoing send(String id, String to, String json) {
        String body = checkedBody(id, to, json);
        return track(id, to, body, message -> {
            long createdAt = System.currentTimeMillis();
            loop.execute(() -> write(message, body, createdAt));
        });
    }

    /**
     * The message with {@code id} not answered yet, or a new one handed to {@code store} (which queues its write);
     * a store refused because the client closed forgets the new message and throws {@link ClientClosedException}.
     */
    private Outgoing track(String id, String to, String body, java.util.function.Consumer<Outgoing> store) {
        boolean[] added = new boolean[1];
        Outgoing message = outgoing.computeIfAbsent(id, k -> {
            added[0] = true;
            return new Outgoing(id, to, body);
        });
        if (added[0]) {
            try {
                store.accept(message);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                outgoing.remove(id);
                throw new ClientClosedException("client closed");
            }
        }
        return message;
    }

    /** The body to store, compacted, after the checks every send makes (throws as {@link #send(String, String, String)}). */
    private String checkedBody(String id, String to, String json) {
        if (closed) {
            throw new ClientClosedException("client closed");
        }
        if (!Ids.validMessageId(id) || !Ids.validRecipient(to)) {
            throw new IllegalArgumentException("invalid id or recipient");
        }
        String body = compactObject(json);
        int size = body.getBytes(StandardCharsets.UTF_8).length;
        if (size > options.maxBodyBytes()) {
            throw new IllegalArgumentException("body is " + size + " bytes; the limit is " + options.maxBodyBytes());
        }
        return body;
    }

    /** Sends {@code {"text": text}} (or {@code {}} for a null text) with files. */
    public Outgoing sendText(String to, String text, List<FileAttachment> files) {
        var body = Json.MAPPER.createObjectNode();
        if (text != null) {
            body.put("text", text);
        }
        return send(UUID.randomUUID().toString(), to, Json.write(body), files);
    }

    /** Sends {@code json} with files and a new message id. See {@link #send(String, String, String, List)}. */
    public Outgoing send(String to, String json, List<FileAttachment> files) {
        return send(UUID.randomUUID().toString(), to, json, files);
    }

    /**
     * Sends a message with up to 10 files. Returns at once; the client's upload thread copies the files into the data
     * directory (so the app may delete them then; without a data directory they are read from where they are),
     * stores the message with them in the outbox and completes {@link Outgoing#queued()}. It then uploads them, in
     * chunks, resuming from the server's offset after a failure or a restart, and sends the message (same id) only
     * once all are uploaded; {@link Listener#onUploadProgress} tells how far it is. A file the server refuses for good
     * (too large, over quota, …) settles the message {@link SendState#REJECTED} with that code. Messages with files
     * may go out after later messages without.
     *
     * @throws IllegalArgumentException as {@link #send(String, String, String)}, or for more than 10 files
     */
    public Outgoing send(String id, String to, String json, List<FileAttachment> files) {
        if (files.isEmpty()) {
            return send(id, to, json);
        }
        if (files.size() > 10) {
            throw new IllegalArgumentException("at most 10 attachments");
        }
        String body = checkedBody(id, to, json);
        return track(id, to, body, message -> uploader.add(id, to, body, System.currentTimeMillis(), List.copyOf(files),
                stored -> message.markQueued(), e -> {
                    outgoing.remove(id);
                    message.notQueued(e);
                }));
    }

    /**
     * Downloads an attachment to {@code target}: the bytes go to {@code target + ".part"}, which a later call continues
     * with {@code Range} (after a cut, a crash or a restart); once complete and its SHA-256 matches the ref it is moved
     * to {@code target}. Retries a cut connection a few times. Completes with {@code target}; exceptionally with an
     * {@link java.io.IOException} (e.g. {@code HTTP 404}: not a blob this user may read, or collected). Progress goes
     * to {@link Listener#onDownloadProgress}.
     */
    public CompletableFuture<java.nio.file.Path> download(String ref, java.nio.file.Path target) {
        return Downloads.download(http, httpBase(options), options.user(), options.device(), options.token(),
                ref, target, (received, total) -> callbacks.execute(() -> listener.onDownloadProgress(ref, target, received, total)));
    }

    /** {@code json} as compact JSON text, if it is one JSON object. */
    private static String compactObject(String json) {
        JsonNode node;
        try {
            node = json == null ? null : Json.MAPPER.readTree(json);
        } catch (Exception e) {
            throw new IllegalArgumentException("the body is not valid JSON: " + e.getMessage());
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("the body must be a JSON object");
        }
        return Json.write(node);
    }

    /** On the loop: the outbox write, then the send link takes it. */
    private void write(Outgoing message, String json, long createdAt) {
        OutboxMessage stored;
        try {
            stored = store.add(message.id(), message.to(), json, createdAt);
        } catch (RuntimeException e) {
            outgoing.remove(message.id());
            message.notQueued(e);
            return;
        }
        message.markQueued();
        sendLink.enqueue(stored);
    }

    /**
     * Messages not answered by the server yet, in the order sent: those of earlier runs in the outbox, then those of
     * this one (including any whose {@link Outgoing#queued()} is still in progress). Reads no storage.
     */
    public List<Outgoing> pending() {
        synchronized (outgoing) {
            return outgoing.values().stream().filter(o -> o.state() == SendState.QUEUED).toList();
        }
    }

    /**
     * Tells the server the user has seen every inbox entry up to {@code seq} (cumulative): the senders get a
     * {@code read} receipt. Advisory: dropped when the inbox is not connected. Locally it also moves the read marker
     * {@link #unreadCount} counts from, online or not.
     */
    public void markRead(long seq) {
        open();
        store.mark(InboxStore.READ, store.lastIdAtOrBelow(seq));
        loop.execute(() -> inbox.markRead(seq));
    }

    /**
     * The newest {@code limit} entries of the local message store, oldest first: everything received (messages,
     * receipts, undelivered, shadow entries, gaps), whether or not the listener has seen it yet. Reads the local store
     * only: works offline.
     */
    public List<InboxEntry> history(int limit) {
        open();
        return entries(store.newest(requirePositive(limit)));
    }

    /**
     * Up to {@code limit} stored entries that {@code consumer} has not been shown yet ({@link #markShown}), oldest
     * first. A consumer is any name the application picks for one view (a chat window, a notification badge); its
     * marker is kept in the local store across restarts. Entries are stored before the listener sees them, so this
     * may list entries the listener gets a moment later.
     */
    public List<InboxEntry> unshown(String consumer, int limit) {
        open();
        return entries(store.after(store.marker(InboxStore.SHOWN + requireName(consumer)), requirePositive(limit)));
    }

    /** {@code consumer} has been shown every stored entry up to {@link InboxEntry#id()} {@code entryId} (never moves back). */
    public void markShown(String consumer, long entryId) {
        open();
        store.mark(InboxStore.SHOWN + requireName(consumer), entryId);
    }

    /** Messages from other users in the local store after the read marker ({@link #markRead}). Works offline. */
    public int unreadCount() {
        open();
        return store.messagesFromOthersAfter(store.marker(InboxStore.READ));
    }

    /** The store stays readable while close() lets the listener finish (a listener may read it). */
    private void open() {
        if (storeClosed) {
            throw new ClientClosedException("client closed");
        }
    }

    private static int requirePositive(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1");
        }
        return limit;
    }

    private static String requireName(String consumer) {
        if (consumer == null || consumer.isEmpty()) {
            throw new IllegalArgumentException("consumer must be a non-empty name");
        }
        return consumer;
    }

    private static List<InboxEntry> entries(List<InboxRow> rows) {
        return rows.stream().map(InboxRow::entry).toList();
    }

    /**
     * Reads stored inbox entries {@code from..to} outside the live sequence — e.g. the range a newest-first catch-up
     * skipped ({@link Listener#onBacklog}). Completes with one page at most (the answer's {@code to} says how far it
     * got; entries below its {@code oldest} are gone); fails when the inbox is not connected. One at a time. The
     * entries are not offered to the listener and do not move the position.
     */
    public CompletionStage<HistoryPage> fetch(long from, long to) {
        if (from < 1 || to < from) {
            throw new IllegalArgumentException("need 1 <= from <= to");
        }
        CompletableFuture<HistoryPage> result = new CompletableFuture<>();
        try {
            loop.execute(() -> inbox.fetch(from, to).whenComplete((h, e) -> {
                if (e != null) {
                    result.completeExceptionally(e);
                } else {
                    result.complete(new HistoryPage(h.from(), h.to(), h.oldest(),
                            h.entries().stream().map(x -> InboxRows.of(x, 0).entry()).toList()));
                }
            }));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            result.completeExceptionally(new ClientClosedException("client closed"));
        }
        return result;
    }

    /** The classic (unnamed) shadow of {@code thing}, one of this user's devices. See {@link Shadow}. */
    public Shadow shadow(String thing) {
        return shadow(thing, "");
    }

    /**
     * The shadow {@code name} of {@code thing} ("" for the classic one).
     *
     * @throws IllegalArgumentException if {@code thing} or {@code name} is not 1-64 of {@code A-Z a-z 0-9 . _ @ -}
     */
    public Shadow shadow(String thing, String name) {
        if (!Ids.validName(thing)) {
            throw new IllegalArgumentException("thing must be a device id: 1-64 of A-Z a-z 0-9 . _ @ -");
        }
        if (name == null || !(name.isEmpty() || Ids.validName(name))) {
            throw new IllegalArgumentException("name must be \"\" or 1-64 of A-Z a-z 0-9 . _ @ -");
        }
        return new Shadow(shadows, options.device(), thing, name);
    }

    /** Shadow updates in the outbox, not answered by the server yet (also those queued by an earlier run). */
    public int pendingShadowUpdates() {
        return shadows.pendingUpdates();
    }

    /** The inbox connection's state. */
    public ConnectionState state() {
        return inbox.state();
    }

    /**
     * The last inbox seq received (stored locally; the next connection resumes after it). The listener may not have
     * seen it yet.
     */
    public long position() {
        return inbox.position();
    }

    public ClientOptions options() {
        return options;
    }

    /**
     * Closes both connections and the local store; queued messages and shadow updates stay in the outbox for the next
     * start. Every future still waiting — {@link Outgoing#settled()} of a message not answered yet, shadow requests, a
     * {@link #fetch} — completes exceptionally with {@link ClientClosedException}. The listener finishes the entry it
     * is in (up to 1 s) and gets nothing more: stored entries it has not had are handed to it on the next start.
     * Returns as soon as that is done; timers still pending (the send socket's idle timeout, resends, reconnects) are
     * dropped, not waited for.
     *
     * <p>May be called from a listener method: it then does not wait for that method; the local store is closed once
     * it returned (the entry it is in counts as delivered, as usual). Likewise when the listener is still busy after
     * the 1 s (or its executor is blocked, e.g. by this call on a UI thread): the store closes when it is done.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        inbox.stopDelivery();
        boolean fromListener = callbacks.inTask();
        boolean listenerDone = false;
        if (!fromListener) {
            // Let the listener finish what it was handed (a short while at most): what it processed is then acked
            // by the close below, not left for the server to send again.
            CompletableFuture<Void> finished = new CompletableFuture<>();
            callbacks.execute(() -> finished.complete(null));
            listenerDone = await(finished, 1);
        }
        uploader.close();
        try {
            loop.submit(() -> {
                sendLink.close();
                inbox.close();
            }).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            // closing anyway
        }
        loop.shutdown();
        try {
            loop.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        ClientClosedException cause = new ClientClosedException("client closed before the server answered; the message"
                + " stays in the outbox and the next client started on this data directory sends it");
        synchronized (outgoing) {
            outgoing.values().forEach(o -> o.close(cause));
        }
        callbacks.shutdown();
        // The store stays open for the listener until its last callback returned (it may read the store, and the
        // entry it is in is marked delivered after it returns).
        CompletableFuture<Void> released = callbacks.terminated().thenRun(() -> {
            try {
                store.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing the local store failed", e);
            } finally {
                storeClosed = true; // after the lock file is released: a ClientClosedException means the dir is free
                if (listenerThread != null) {
                    listenerThread.shutdown();
                }
            }
        });
        if (listenerDone) {
            await(released, 5); // else (a listener still busy, or its executor blocked) it closes when they are done
        }
    }

    /** True if {@code f} completed within the time. */
    private static boolean await(CompletableFuture<Void> f, int seconds) {
        try {
            f.get(seconds, TimeUnit.SECONDS);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            // closing anyway
        }
        return false;
    }

    private Backoff backoff() {
        return new Backoff(options.backoffMin(), options.backoffMax(), () -> ThreadLocalRandom.current().nextDouble());
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    private void onLoop(Runnable task) {
        try {
            loop.execute(task);
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            // closed: the outbox keeps the message for the next start
        }
    }

    /** The uploader's news, from its thread: sends go through the loop, listener calls to the callback thread. */
    private final class UploadResults implements Uploader.Results {
        @Override
        public void ready(OutboxMessage message, String attachments) {
            onLoop(() -> sendLink.enqueue(message, attachments));
        }

        @Override
        public void refused(String messageId, String code, String message) {
            store.remove(messageId);
            uploader.deleteCopies(messageId);
            onLoop(() -> {
                Outgoing o = outgoing.remove(messageId);
                if (o != null && o.reject(code, message)) {
                    callbacks.execute(() -> listener.onSendState(o));
                }
            });
        }

        @Override
        public void progress(String messageId, String file, long sent, long total) {
            callbacks.execute(() -> listener.onUploadProgress(messageId, file, sent, total));
        }
    }

    /** Server answers, on the client loop; listener calls go to the callback thread. */
    private final class Results implements SendLink.Results {
        @Override
        public void accepted(String id) {
            uploader.deleteCopies(id);
            Outgoing o = outgoing.remove(id);
            if (o != null && o.accept()) {
                callbacks.execute(() -> listener.onSendState(o));
            }
        }

        @Override
        public void rejected(String id, String code, String message) {
            uploader.deleteCopies(id);
            Outgoing o = outgoing.remove(id);
            if (o != null && o.reject(code, message)) {
                callbacks.execute(() -> listener.onSendState(o));
            }
        }

        @Override
        public void refused(int closeCode, String reason) {
            callbacks.execute(() -> listener.onRefused(closeCode, reason));
        }
    }
}
