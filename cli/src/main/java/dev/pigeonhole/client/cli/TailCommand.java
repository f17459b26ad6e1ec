package dev.pigeonhole.client.cli;

import dev.pigeonhole.client.ConnectionState;
import dev.pigeonhole.client.IncomingMessage;
import dev.pigeonhole.client.Listener;
import dev.pigeonhole.client.PigeonholeClient;
import dev.pigeonhole.client.internal.Downloads;
import dev.pigeonhole.protocol.ClientFrame;
import dev.pigeonhole.protocol.Frames;
import dev.pigeonhole.protocol.ServerFrame;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Prints messages as JSON lines: first those this device received that no {@code tail} or {@code chat} showed yet
 * (also what a {@code send}, {@code flush} or {@code history} received), then what arrives. Stops when the server
 * refuses the connection for good (e.g. 4103: another client of this device took its inbox).
 */
@Command(name = "tail", mixinStandardHelpOptions = true, description = {"Print incoming messages as JSON lines.",
        "Starts with every message this device received that no tail or chat showed yet (also what send, flush or"
                + " history received). The connection state goes to stderr ('* offline (retrying)', '* online'), and so"
                + " do lost entries ('* messages 2..4 are gone from the server (expired)')."},
        footer = {"", "Exit codes: 0 after --count messages (without --count it runs until stopped, retrying while the"
                + " server is unreachable), 4 refused by the server (said on stderr, e.g. '* displaced: another client of"
                + " alice/cli took this device's inbox (4103); stopping'; also 4100 unauthorized, 4104 device removed, 4105"
                + " too many devices), 5 the data directory is used by another pigeonhole-cli. With --save-dir and --count:"
                + " 2 if an attachment was refused (e.g. HTTP 404) or did not match its hash, 3 if one could not be"
                + " downloaded (unreachable or cut: run it again, or use download)."})
final class TailCommand implements Callable<Integer> {
    @Mixin
    ClientMixin client;

    @Option(names = "--count", description = "Exit after this many messages (default: run until killed)")
    Integer count;

    @Option(names = "--save-dir", paramLabel = "DIR", description = "Also save each message's attachments into DIR"
            + " (created if need be) as they arrive, one after another: under the sender's file name, NAME-1.EXT if a file"
            + " of that name holds other bytes (nothing is overwritten; a file that holds these bytes already counts as"
            + " saved); a progress bar and 'saved FILE' on stderr. A cut download continues from FILE.part when tail"
            + " shows the message again, or with download.")
    Path saveDir;

    /** Downloads for --save-dir, one at a time, off the listener's thread (which draws their progress). */
    private ExecutorService saver;
    private Saving.ProgressLine progress;
    /** Bar labels by target file. */
    private final Map<Path, String> saving = new ConcurrentHashMap<>();
    /** The worst outcome of a save: 0, then {@link PigeonholeCli#STILL_QUEUED} or {@link PigeonholeCli#REJECTED}. */
    private final AtomicInteger saveFailure = new AtomicInteger();
    private volatile PigeonholeClient running;

    @Override
    public Integer call() throws Exception {
        progress = new Saving.ProgressLine(System.err);
        CountDownLatch done = new CountDownLatch(1);
        AtomicInteger printed = new AtomicInteger();
        if (count != null && count < 1) {
            return PigeonholeCli.OK;
        }
        if (saveDir != null) {
            saveDir = saveDir.toAbsolutePath().normalize();
            Files.createDirectories(saveDir);
            saver = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "pigeonhole-cli save");
                t.setDaemon(true);
                return t;
            });
        }
        Feed feed = new Feed(e -> {
            String json = Entries.tailJson(e);
            if (json == null && "gap".equals(e.kind())) {
                // a loss is reported, as chat and history do (not on stdout: that stays one message per line)
                Entries.lines(e, client.device, false).forEach(this::err);
            }
            if (json != null) {
                System.out.println(json);
                System.out.flush();
                if (saver != null) {
                    save(e.json());
                }
                if (count != null && printed.incrementAndGet() >= count) {
                    done.countDown();
                    return false;
                }
            }
            return true;
        });
        Refusal refusal = new Refusal();
        try (ConnectionNotices notices = new ConnectionNotices(this::err);
             PigeonholeClient c = client.start(new Listener() {
                 @Override
                 public void onMessage(IncomingMessage m) {
                     feed.show();
                 }

                 @Override
                 public void onGap(long from, long to, String reason) {
                     feed.show();
                 }

                 @Override
                 public void onConnectionState(ConnectionState state) {
                     notices.changed(state);
                 }

                 @Override
                 public void onDownloadProgress(String ref, Path target, long received, long total) {
                     String name = saving.get(target);
                     if (name != null) {
                         progress.bar(target, name, received, total);
                     }
                 }

                 @Override
                 public void onRefused(int closeCode, String reason) {
                     if (refusal.refused(closeCode)) {
                         notices.stop();
                         err(Refusal.stopping(closeCode, reason, client));
                         done.countDown();
                     }
                 }
             })) {
            running = c;
            feed.attach(c);
            done.await();
            if (saver != null) {
                saver.shutdown(); // the saves of what was printed finish first
                if (refusal.happened()) {
                    saver.shutdownNow();
                }
                saver.awaitTermination(1, TimeUnit.DAYS);
            }
            if (refusal.happened() && (count == null || printed.get() < count)) {
                return PigeonholeCli.REFUSED;
            }
            return saveFailure.get();
        }
    }

    /** Queues the download of the message's attachments (on the saver's thread, in order). */
    private void save(String json) {
        ServerFrame.Message m = (ServerFrame.Message) Frames.decodeServer(json);
        if (m.attachments() == null) {
            return;
        }
        for (ClientFrame.Attachment a : m.attachments()) {
            saver.execute(() -> saveOne(a));
        }
    }

    private void saveOne(ClientFrame.Attachment a) {
        PigeonholeClient c = running;
        Saving.Target target;
        try {
            target = Saving.target(saveDir, a);
        } catch (java.io.IOException e) {
            failed(a, e, PigeonholeCli.REJECTED);
            return;
        }
        if (target.alreadySaved()) {
            progress.line("* already saved " + target.file());
            return;
        }
        String name = target.file().getFileName().toString();
        saving.put(target.file(), name);
        progress.start(target.file());
        try {
            c.download(a.ref(), target.file()).get();
            progress.finish(target.file(), name, a.size(), true, "saved " + target.file());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            progress.finish(target.file(), name, a.size(), false, "* stopped saving " + target.file() + " (the next tail or download continues it)");
            saveFailure.accumulateAndGet(PigeonholeCli.STILL_QUEUED, Math::max);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            boolean final_ = cause instanceof Downloads.StatusException || String.valueOf(cause.getMessage()).contains("do not hash");
            progress.finish(target.file(), name, a.size(), false, "* could not save " + target.file() + ": " + cause.getMessage()
                    + (final_ ? "" : " (what arrived is in " + target.file().getFileName() + ".part: download --ref " + a.ref()
                    + " --out " + target.file() + " continues it)"));
            saveFailure.accumulateAndGet(final_ ? PigeonholeCli.REJECTED : PigeonholeCli.STILL_QUEUED, Math::max);
        } finally {
            saving.remove(target.file());
        }
    }

    private void failed(ClientFrame.Attachment a, Exception e, int exit) {
        progress.line("* could not save " + a.ref() + ": " + e.getMessage());
        saveFailure.accumulateAndGet(exit, Math::max);
    }

    private void err(String line) {
        progress.line(line);
    }
}
