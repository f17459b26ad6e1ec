package dev.pigeonhole.client;

import java.nio.file.Path;

/**
 * A local file to send with a message ({@link PigeonholeClient#send(String, String, java.util.List)}). With a data
 * directory the client copies it there before {@link Outgoing#queued()} completes, so the app may delete or change
 * its file afterwards.
 *
 * @param file    the file to send (at most 100 MiB with the default server limits)
 * @param type    media type, e.g. {@code image/jpeg}
 * @param name    file name shown to recipients, or null for none
 * @param preview base64 of a small preview (at most 8 KiB decoded), or null
 */
public record FileAttachment(Path file, String type, String name, String preview) {
    public FileAttachment {
        if (file == null || type == null || !type.matches("[^/\\s]+/[^/\\s]+")) {
            throw new IllegalArgumentException("need a file and a media type (type/subtype)");
        }
    }

    /** The file with this media type, named like the file, without a preview. */
    public static FileAttachment of(Path file, String type) {
        return new FileAttachment(file, type, file.getFileName().toString(), null);
    }
}
