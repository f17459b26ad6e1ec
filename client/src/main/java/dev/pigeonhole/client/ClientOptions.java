package dev.pigeonhole.client;

import dev.pigeonhole.client.spi.Store;
import dev.pigeonhole.client.spi.Transport;
import dev.pigeonhole.protocol.Frames;
import dev.pigeonhole.protocol.Ids;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * How a {@link PigeonholeClient} connects and where it keeps its state. Build with {@link #builder(URI, String,
 * String)}; every timing has a default.
 *
 * @param server         base URL, e.g. {@code ws://127.0.0.1:8080}; the client uses {@code /v1/send} and
 *                       {@code /v1/inbox} under it
 * @param user           user id (dev identity: sent as query parameters)
 * @param device         this device's id; one client per device and data directory
 * @param dataDir        where the outbox and the inbox position live (SQLite); null keeps them in memory only
 * @param pingInterval   the client pings every interval; a link silent for two intervals is declared dead
 * @param backoffMin     first reconnect delay bound (full jitter: a random delay in [0, bound])
 * @param backoffMax     the bound doubles per failed attempt up to this
 * @param connectTimeout a handshake not done within this counts as a failed attempt
 * @param sendIdleTimeout the send link is closed after this long with nothing to send
 * @param window         unacked inbox entries the server may have in flight to this client
 * @param maxInFlight    sends awaiting the server's answer at once
 * @param maxBodyBytes   bodies larger than this are refused by {@code send} at once (the server's default limit)
 * @param token          bearer token sent in the {@code Authorization} header; null to use the dev identity
 *                       ({@code ?user=&device=}, accepted by the standalone mode only)
 * @param history        on this device's very first connection, ask for the whole retained inbox; by default
 *                       the server starts a user's further devices at the newest entry (their first device gets
 *                       everything waiting)
 * @param newest         adaptive catch-up: when more than this many entries wait, receive only the newest ones and
 *                       skip the rest (the listener's {@code onBacklog} names the skipped range; {@code fetch} reads
 *                       it on demand); 0 (default) receives everything
 * @param listenerExecutor where the {@link Listener}'s methods run; null (default) for a thread of the client's own.
 *                       On any executor (a pool too) one client's callbacks run one at a time, in order.
 * @param transport      how WebSockets are opened; null (default) for the JDK's {@code java.net.http} client
 * @param store          where the outbox, the local message store and the position are kept; null (default) for
 *                       SQLite in {@code dataDir}, or memory without one. A given store is used instead (and closed
 *                       by the client); {@code dataDir} then only names the directory for messages.
 * @param httpServer     where uploads and downloads go ({@code /v1/uploads}, {@code /v1/blobs}); null (default) for
 *                       {@code server} with {@code ws} → {@code http}, {@code wss} → {@code https}
 * @param autoDownloadMaxBytes attachments of at most this many bytes are downloaded to {@code autoDownloadDir} before
 *                       their message is handed to the listener (see {@link Builder#autoDownload}); 0 (default): none
 * @param autoDownloadDir where auto-downloaded attachments go, as {@code <sha256 hex>}
 */
public record ClientOptions(URI server, String user, String device, Path dataDir, Duration pingInterval,
                            Duration backoffMin, Duration backoffMax, Duration connectTimeout,
                            Duration sendIdleTimeout, int window, int maxInFlight, int maxBodyBytes, String token,
                            boolean history, int newest, Executor listenerExecutor,
                            Transport transport, Store store, URI httpServer, long autoDownloadMaxBytes,
                            Path autoDownloadDir) {

    /** Without auto-download (the constructor before it existed). */
    public ClientOptions(URI server, String user, String device, Path dataDir, Duration pingInterval,
                         Duration backoffMin, Duration backoffMax, Duration connectTimeout,
                         Duration sendIdleTimeout, int window, int maxInFlight, int maxBodyBytes, String token,
                         boolean history, int newest, Executor listenerExecutor,
                         Transport transport, Store store, URI httpServer) {
        this(server, user, device, dataDir, pingInterval, backoffMin, backoffMax, connectTimeout, sendIdleTimeout, window,
                maxInFlight, maxBodyBytes, token, history, newest, listenerExecutor, transport, store, httpServer, 0, null);
    }

    public ClientOptions {
        Objects.requireNonNull(server, "server");
        if (!Ids.validName(user) || !Ids.validName(device)) {
            throw new IllegalArgumentException("user and device must be 1-64 of A-Z a-z 0-9 . _ @ -");
        }
        if (pingInterval.isNegative() || pingInterval.isZero() || backoffMax.compareTo(backoffMin) < 0
                || window < 1 || maxInFlight < 1 || newest < 0) {
            throw new IllegalArgumentException("invalid timings or limits");
        }
        if (autoDownloadMaxBytes < 0 || (autoDownloadMaxBytes > 0 && autoDownloadDir == null)) {
            throw new IllegalArgumentException("auto-download needs a size limit >= 0 and a directory");
        }
    }

    /** Never shows the token. */
    @Override
    public String toString() {
        return "ClientOptions[" + server + " " + user + "/" + device + (token == null ? " dev identity" : " token") + "]";
    }

    public static Builder builder(URI server, String user, String device) {
        return new Builder(server, user, device);
    }

    /** Mutable builder with the defaults. */
    public static final class Builder {
        private final URI server;
        private final String user;
        private final String device;
        private Path dataDir;
        private URI httpServer;
        private Duration pingInterval = Duration.ofSeconds(15);
        private Duration backoffMin = Duration.ofMillis(500);
        private Duration backoffMax = Duration.ofSeconds(30);
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration sendIdleTimeout = Duration.ofSeconds(30);
        private int window = 128;
        private int maxInFlight = 100;
        private int maxBodyBytes = Frames.DEFAULT_MAX_BODY_BYTES;
        private String token;
        private boolean history;
        private int newest;
        private Executor listenerExecutor;
        private Transport transport;
        private Store store;
        private long autoDownloadMaxBytes;
        private Path autoDownloadDir;

        private Builder(URI server, String user, String device) {
            this.server = server;
            this.user = user;
            this.device = device;
        }

        public Builder dataDir(Path dir) {
            this.dataDir = dir;
            return this;
        }

        public Builder pingInterval(Duration d) {
            this.pingInterval = d;
            return this;
        }

        public Builder backoff(Duration min, Duration max) {
            this.backoffMin = min;
            this.backoffMax = max;
            return this;
        }

        public Builder connectTimeout(Duration d) {
            this.connectTimeout = d;
            return this;
        }

        public Builder sendIdleTimeout(Duration d) {
            this.sendIdleTimeout = d;
            return this;
        }

        public Builder window(int window) {
            this.window = window;
            return this;
        }

        public Builder maxInFlight(int n) {
            this.maxInFlight = n;
            return this;
        }

        public Builder maxBodyBytes(int n) {
            this.maxBodyBytes = n;
            return this;
        }

        /** A bearer token for {@code user}/{@code device} (the server checks they match). */
        public Builder token(String token) {
            this.token = token;
            return this;
        }

        /** On the first connection of this device, start at the beginning of the retained inbox. */
        public Builder history(boolean history) {
            this.history = history;
            return this;
        }

        /** Newest-first catch-up: skip all but the newest {@code n} waiting entries on each connection (0: off). */
        public Builder newest(int n) {
            this.newest = n;
            return this;
        }

        /**
         * Runs the listener's methods on {@code executor} (e.g. an app's main-thread executor) instead of the client's
         * own thread; still one at a time, in order. The client never shuts it down. {@code close()} waits up to
         * 1 s for the callbacks already queued on it: called on the executor's only thread (a UI thread) outside a
         * callback it returns after that second and the store closes once the queued callbacks ran.
         */
        public Builder listenerExecutor(Executor executor) {
            this.listenerExecutor = executor;
            return this;
        }

        /** Opens WebSockets with {@code transport} (e.g. OkHttp on Android) instead of the JDK's client. */
        public Builder transport(Transport transport) {
            this.transport = transport;
            return this;
        }

        /** Keeps everything local in {@code store} (e.g. Android's SQLite) instead of SQLite in the data directory. */
        public Builder store(Store store) {
            this.store = store;
            return this;
        }

        /** Uploads and downloads attachments at {@code uri} instead of the server's own address. */
        public Builder httpServer(URI uri) {
            this.httpServer = uri;
            return this;
        }

        /**
         * Downloads every attachment of at most {@code maxBytes} bytes (thumbnails, voice notes, small photos) to
         * {@code dir} before its message is handed to {@link Listener#onMessage}: the listener finds it at
         * {@link Attachment#file()} ({@code dir/<sha256 hex>}, the hash checked). The download runs on the thread
         * that calls the listener — the client's own, or the {@link #listenerExecutor} (then give one that may block,
         * not a UI thread) — with {@link Listener#onDownloadProgress} on it. Only while the inbox is online;
         * offline, after a failure (logged) or after 60 s per file, the message is handed over with {@code file}
         * null (call {@link PigeonholeClient#download} then). A message whose call was not finished when the process
         * died is handed over again on the next start, and its download continues from the {@code .part}. 0: off.
         */
        public Builder autoDownload(long maxBytes, Path dir) {
            this.autoDownloadMaxBytes = maxBytes;
            this.autoDownloadDir = dir;
            return this;
        }

        public ClientOptions build() {
            return new ClientOptions(server, user, device, dataDir, pingInterval, backoffMin, backoffMax,
                    connectTimeout, sendIdleTimeout, window, maxInFlight, maxBodyBytes, token, history, newest,
                    listenerExecutor, transport, store, httpServer, autoDownloadMaxBytes, autoDownloadDir);
        }
    }
}
