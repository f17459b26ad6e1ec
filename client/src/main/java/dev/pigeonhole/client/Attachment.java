package dev.pigeonhole.client;

import java.nio.file.Path;

/**
 * A blob a message carries (docs/protocol.md, Attachments): what a recipient gets with {@link IncomingMessage} and
 * downloads with {@link PigeonholeClient#download}.
 *
 * @param ref     {@code sha256:<hex>}, the blob's content hash
 * @param size    bytes
 * @param type    media type, e.g. {@code image/jpeg}
 * @param name    file name, or null
 * @param preview base64 of a small preview (thumbnail, waveform), or null
 * @param file    where {@link ClientOptions.Builder#autoDownload} saved it (its SHA-256 checked) before the message
 *                was handed to the listener; null if it was not (larger than the limit, offline, failed, or no
 *                auto-download)
 */
public record Attachment(String ref, long size, String type, String name, String preview, Path file) {
    /** An attachment not downloaded (yet). */
    public Attachment(String ref, long size, String type, String name, String preview) {
        this(ref, size, type, name, preview, null);
    }

    /** This attachment, saved at {@code file}. */
    public Attachment withFile(Path file) {
        return new Attachment(ref, size, type, name, preview, file);
    }
}
