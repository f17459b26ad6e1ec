package dev.pigeonhole.client.cli;

import dev.pigeonhole.protocol.ClientFrame;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;

/**
 * Saving received attachments ({@code tail --save-dir}, {@code chat}'s {@code /save}): where a file goes, and the
 * progress line on a terminal that other lines interleave with.
 */
final class Saving {
    /** Set by the launcher script to the directory it was called from (it cd's into the checkout). */
    static final String CALLER_DIR = "PIGEONHOLE_CALLER_DIR";

    private Saving() {}

    /** The directory relative paths typed inside a command (chat's {@code /save}) mean: the caller's. */
    static Path callerDir() {
        String dir = System.getenv(CALLER_DIR);
        return Path.of(dir != null && !dir.isBlank() ? dir : System.getProperty("user.dir")).toAbsolutePath();
    }

    /** {@code path} against the caller's directory ({@code ~/} is the home directory, as a shell would have it). */
    static Path resolve(String path) {
        if (path.equals("~") || path.startsWith("~/")) {
            return Path.of(System.getProperty("user.home") + path.substring(1)).toAbsolutePath().normalize();
        }
        return callerDir().resolve(path).toAbsolutePath().normalize();
    }

    /** A file name from the sender's name: its last path element, without leading dots or control characters. */
    static String fileName(ClientFrame.Attachment a) {
        String name = a.name() == null ? "" : a.name();
        name = name.substring(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1)
                .replaceAll("[\\p{Cntrl}]", "_").replaceFirst("^\\.+", "").strip();
        if (name.isEmpty()) {
            String hex = a.ref().substring(a.ref().indexOf(':') + 1);
            name = hex.substring(0, Math.min(12, hex.length()));
        }
        return name;
    }

    /** Where an attachment goes in {@code dir}, and whether that file already holds its bytes. */
    record Target(Path file, boolean alreadySaved) {}

    /**
     * The attachment's {@link #fileName} in {@code dir}; if a file of that name holds other bytes, {@code name-1.ext},
     * {@code name-2.ext}, ...: nothing is overwritten. A file with the attachment's bytes (saved before) is
     * {@link Target#alreadySaved}. A {@code .part} left by a cut download is continued.
     */
    static Target target(Path dir, ClientFrame.Attachment a) throws IOException {
        String name = fileName(a);
        int dot = name.lastIndexOf('.');
        String stem = dot > 0 ? name.substring(0, dot) : name;
        String ext = dot > 0 ? name.substring(dot) : "";
        for (int i = 0; ; i++) {
            Path candidate = dir.resolve(i == 0 ? name : stem + "-" + i + ext);
            if (!Files.exists(candidate)) {
                return new Target(candidate, false);
            }
            if (Files.size(candidate) == a.size() && a.ref().equals("sha256:" + sha256(candidate))) {
                return new Target(candidate, true);
            }
        }
    }

    static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[64 * 1024];
            for (int n; (n = in.read(buf)) > 0; ) {
                sha.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * One {@code \r}-redrawn progress bar at a time on a stream other lines go to as well: a line printed while a bar
     * is drawn ends the bar's line first, and a bar whose download {@link #finish finished} is not drawn again (progress
     * arrives on the listener's thread, the end on the downloader's).
     */
    static final class ProgressLine {
        private final PrintStream out;
        private final Set<Path> finished = new HashSet<>();
        private final Set<Path> completed = new HashSet<>();
        private Path open;

        ProgressLine(PrintStream out) {
            this.out = out;
        }

        synchronized void bar(Path target, String name, long done, long total) {
            if (finished.contains(target) || total <= 0) {
                return;
            }
            out.print("\r" + Entries.bar(name, Math.min(done, total), total));
            open = target;
            if (done >= total) {
                out.print("\n");
                open = null;
                completed.add(target);
            }
            out.flush();
        }

        /** A download to {@code target} starts (again): its bar may be drawn. */
        synchronized void start(Path target) {
            finished.remove(target);
            completed.remove(target);
        }

        /**
         * The download to {@code target} ended: its bar is done (drawn at 100% now if it got {@code size} bytes and
         * the listener has not drawn that yet), and {@code line} follows on a line of its own.
         */
        synchronized void finish(Path target, String name, long size, boolean complete, String line) {
            finished.add(target);
            if (complete && !completed.contains(target)) {
                out.print("\r" + Entries.bar(name, size, size) + "\n");
                open = null;
            }
            line(line);
        }

        synchronized void line(String line) {
            if (open != null) {
                out.print("\n");
                open = null;
            }
            out.println(line);
            out.flush();
        }
    }
}
