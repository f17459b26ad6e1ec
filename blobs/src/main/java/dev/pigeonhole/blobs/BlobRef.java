package dev.pigeonhole.blobs;

import java.util.HexFormat;
import java.util.regex.Pattern;

/** A blob's name: the SHA-256 of its bytes, written {@code sha256:<64 lowercase hex>}. */
public record BlobRef(String hex) {
    private static final Pattern HEX = Pattern.compile("[0-9a-f]{64}");
    public static final String PREFIX = "sha256:";

    public BlobRef {
        if (hex == null || !HEX.matcher(hex).matches()) {
            throw new IllegalArgumentException("a SHA-256 is 64 lowercase hex digits");
        }
    }

    /** Parses {@code sha256:<hex>} (the reference form) or a bare hex digest. */
    public static BlobRef parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("a SHA-256 is 64 lowercase hex digits");
        }
        return new BlobRef(text.startsWith(PREFIX) ? text.substring(PREFIX.length()) : text);
    }

    public static BlobRef of(byte[] digest) {
        return new BlobRef(HexFormat.of().formatHex(digest));
    }

    @Override
    public String toString() {
        return PREFIX + hex;
    }
}
