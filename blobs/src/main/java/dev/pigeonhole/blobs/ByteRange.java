package dev.pigeonhole.blobs;

/**
 * A byte range as HTTP's {@code Range: bytes=...} names it (one range): {@code first-last}, {@code first-} (to the
 * end) or {@code -n} (the last n bytes). {@link #resolve(long)} turns it into offsets within a blob of a given size.
 */
public record ByteRange(long first, long last, long suffix) {
    public static final ByteRange ALL = new ByteRange(0, -1, -1);

    /** Bytes {@code first} to {@code last}, both included. */
    public static ByteRange of(long first, long last) {
        if (first < 0 || last < first) {
            throw new IllegalArgumentException("invalid range " + first + "-" + last);
        }
        return new ByteRange(first, last, -1);
    }

    /** From {@code first} to the end. */
    public static ByteRange from(long first) {
        if (first < 0) {
            throw new IllegalArgumentException("invalid range " + first + "-");
        }
        return new ByteRange(first, -1, -1);
    }

    /** The last {@code n} bytes (all of them when the blob is shorter). */
    public static ByteRange suffix(long n) {
        if (n <= 0) {
            throw new IllegalArgumentException("a suffix range needs n > 0");
        }
        return new ByteRange(-1, -1, n);
    }

    /** Parses {@code bytes=a-b}, {@code bytes=a-}, {@code bytes=-n}; multiple ranges are not supported. */
    public static ByteRange parse(String header) {
        if (header == null || !header.startsWith("bytes=") || header.indexOf(',') >= 0) {
            throw new IllegalArgumentException("expected bytes=first-last, bytes=first- or bytes=-n");
        }
        String spec = header.substring(6).trim();
        int dash = spec.indexOf('-');
        if (dash < 0) {
            throw new IllegalArgumentException("expected bytes=first-last, bytes=first- or bytes=-n");
        }
        try {
            String a = spec.substring(0, dash);
            String b = spec.substring(dash + 1);
            if (a.isEmpty()) {
                return suffix(Long.parseLong(b));
            }
            return b.isEmpty() ? from(Long.parseLong(a)) : of(Long.parseLong(a), Long.parseLong(b));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected bytes=first-last, bytes=first- or bytes=-n");
        }
    }

    /**
     * The offsets {@code [start, endInclusive]} within a blob of {@code size} bytes; a last byte past the end is
     * clamped to it (as HTTP does).
     *
     * @throws BlobException {@link BlobError#RANGE_NOT_SATISFIABLE} when the range starts past the end (or the blob is empty)
     */
    public long[] resolve(long size) throws BlobException {
        if (this.equals(ALL)) {
            return new long[] {0, size - 1};
        }
        if (size == 0) {
            throw new BlobException(BlobError.RANGE_NOT_SATISFIABLE, "the blob is empty");
        }
        if (suffix > 0) {
            return new long[] {Math.max(0, size - suffix), size - 1};
        }
        if (first >= size) {
            throw new BlobException(BlobError.RANGE_NOT_SATISFIABLE, "the blob has " + size + " bytes");
        }
        return new long[] {first, last < 0 ? size - 1 : Math.min(last, size - 1)};
    }
}
