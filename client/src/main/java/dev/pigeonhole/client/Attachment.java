package dev.pigeonhole.client;

/**
 * A blob a message carries (docs/protocol.md, Attachments): what a recipient gets with {@link IncomingMessage} and
 * downloads with {@link PigeonholeClient#download}.
 *
 * @param ref     {@code sha256:<hex>}, the blob's content hash
 * @param size    bytes
 * @param type    media type, e.g. {@code image/jpeg}
 * @param name    file name, or null
 * @param preview base64 of a small preview (thumbnail, waveform), or null
 */
public record Attachment(String ref, long size, String type, String name, String preview) {}
