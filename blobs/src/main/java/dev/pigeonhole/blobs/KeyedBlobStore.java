package dev.pigeonhole.blobs;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The store's logic over a flat key space that both a directory and an S3 bucket provide. Keys:
 * <pre>
 * blobs/{hex[0..2]}/{hex}                     the blob
 * owners/{hex}/{base64url(user)}              owner mark (the upload's media type)
 * grants/{hex}/{base64url(user)}              download grant (the media type to serve)
 * uploads/{base64url(owner)}/{id}/meta        the declaration (properties text), later the outcome
 * uploads/{base64url(owner)}/{id}/c-{start}-{length}   bytes [start, start+length) of the upload
 * </pre>
 * An upload's offset is the end of the contiguous run of chunks from 0. Chunks are never modified, only added, so
 * two stores (pods) need no lock between them; see blobs/DESIGN.md.
 */
abstract class KeyedBlobStore implements BlobStore {
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{22}");
    private static final Pattern CHUNK = Pattern.compile("c-(\\d+)-(\\d+)");
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A stored object. */
    record Entry(String key, long size, Instant lastModified) {
    }

    /** A chunk's bytes used for the upload: {@code [from, to)} in upload offsets, stored at {@code start}. */
    record Piece(String key, long start, long from, long to) {
    }

    protected final Clock clock;

    KeyedBlobStore(Clock clock) {
        this.clock = clock;
    }

    // --- the backend -------------------------------------------------------------------------------------------

    abstract void putSmall(String key, byte[] data) throws IOException;

    abstract Optional<byte[]> getSmall(String key) throws IOException;

    /** {@code length} bytes of the object from {@code start}. */
    abstract InputStream get(String key, long start, long length) throws IOException;

    abstract Optional<Entry> stat(String key) throws IOException;

    /** Every object whose key starts with {@code prefix} (which ends with '/'). */
    abstract List<Entry> list(String prefix) throws IOException;

    abstract void delete(String key) throws IOException;

    /**
     * Stores the bytes of {@code in} (at most {@code remaining}) as chunks named by {@link #chunkKey}, starting at
     * upload offset {@code offset}. When {@code in} has more than {@code remaining} bytes, deletes what this call
     * stored and throws {@link BlobError#UPLOAD_OVERFLOW}; when {@code in} fails, keeps what was read and rethrows.
     *
     * @return bytes stored
     */
    abstract long writeChunks(String prefix, long offset, InputStream in, long remaining)
            throws IOException, BlobException;

    /**
     * Writes {@code length} bytes of {@code content} to {@code key} and makes them visible only if
     * {@code verified.get()} (asked once {@code content} has been read to its end) is true; else leaves no trace.
     *
     * @return what {@code verified} answered
     */
    abstract boolean putIfVerified(String key, InputStream content, long length, Verifier verified) throws IOException;

    interface Verifier {
        boolean ok();
    }

    // --- keys --------------------------------------------------------------------------------------------------

    static String blobKey(BlobRef ref) {
        return "blobs/" + ref.hex().substring(0, 2) + "/" + ref.hex();
    }

    static String ownerKey(BlobRef ref, String user) {
        return "owners/" + ref.hex() + "/" + B64.encodeToString(user.getBytes(StandardCharsets.UTF_8));
    }

    static String grantKey(BlobRef ref, String user) {
        return "grants/" + ref.hex() + "/" + B64.encodeToString(user.getBytes(StandardCharsets.UTF_8));
    }

    static String uploadPrefix(String owner, String id) {
        return uploadsOf(owner) + id + "/";
    }

    static String uploadsOf(String owner) {
        return "uploads/" + B64.encodeToString(owner.getBytes(StandardCharsets.UTF_8)) + "/";
    }

    static String chunkKey(String prefix, long start, long length) {
        return prefix + "c-" + start + "-" + length;
    }

    // --- uploads -----------------------------------------------------------------------------------------------

    @Override
    public UploadInfo create(NewUpload upload) throws IOException {
        byte[] raw = new byte[16];
        RANDOM.nextBytes(raw);
        String id = B64.encodeToString(raw);
        Instant now = clock.instant();
        Meta meta = new Meta(upload, now, null);
        putSmall(uploadPrefix(upload.owner(), id) + "meta", meta.encode());
        return new UploadInfo(id, upload, 0, now, now, Optional.empty());
    }

    @Override
    public Optional<UploadInfo> upload(String owner, String id) throws IOException {
        if (id == null || !ID.matcher(id).matches()) {
            return Optional.empty();
        }
        String prefix = uploadPrefix(owner, id);
        return state(id, list(prefix)).map(State::info);
    }

    @Override
    public List<UploadInfo> uploads(String owner) throws IOException {
        return states(uploadsOf(owner));
    }

    @Override
    public List<UploadInfo> uploads() throws IOException {
        return states("uploads/");
    }

    private List<UploadInfo> states(String prefix) throws IOException {
        List<Entry> all = list(prefix);
        List<UploadInfo> out = new ArrayList<>();
        for (Entry e : all) {
            if (!e.key().endsWith("/meta")) {
                continue;
            }
            String uploadPrefix = e.key().substring(0, e.key().length() - 4);
            String id = uploadPrefix.substring(uploadPrefix.lastIndexOf('/', uploadPrefix.length() - 2) + 1,
                    uploadPrefix.length() - 1);
            List<Entry> own = all.stream().filter(x -> x.key().startsWith(uploadPrefix)).toList();
            state(id, own).ifPresent(s -> out.add(s.info()));
        }
        out.sort(Comparator.comparing(UploadInfo::createdAt));
        return out;
    }

    @Override
    public long append(String owner, String id, long offset, InputStream data) throws BlobException, IOException {
        State state = existing(owner, id);
        long current = state.info().offset();
        if (offset != current || state.info().complete()) {
            throw new BlobException(BlobError.OFFSET_MISMATCH, "the upload's offset is " + current, current);
        }
        return offset + writeChunks(uploadPrefix(owner, id), offset, data, state.info().length() - offset);
    }

    @Override
    public UploadInfo finish(String owner, String id) throws BlobException, IOException {
        State state = existing(owner, id);
        UploadInfo info = state.info();
        if (info.complete()) {
            return info;
        }
        if (info.offset() < info.length()) {
            throw new BlobException(BlobError.UPLOAD_INCOMPLETE,
                    "received " + info.offset() + " of " + info.length() + " bytes", info.offset());
        }
        BlobRef expected = info.declared().sha256();
        MessageDigest sha = sha256();
        InputStream content = new DigestInputStream(chain(state.pieces()), sha);
        boolean ok;
        try (content) {
            if (stat(blobKey(expected)).isPresent()) {
                content.transferTo(OutputStreamNull.INSTANCE); // stored already: prove the bytes, store nothing
                ok = BlobRef.of(sha.digest()).equals(expected);
            } else {
                ok = putIfVerified(blobKey(expected), content, info.length(),
                        () -> BlobRef.of(sha.digest()).equals(expected));
            }
        }
        String prefix = uploadPrefix(owner, id);
        if (!ok) {
            abandon(owner, id);
            throw new BlobException(BlobError.CHECKSUM_MISMATCH,
                    "the bytes do not hash to " + expected + "; the upload was discarded");
        }
        putSmall(ownerKey(expected, owner), mediaType(info.declared().mediaType()));
        Instant now = clock.instant();
        putSmall(prefix + "meta", new Meta(info.declared(), info.createdAt(), now).encode());
        for (Entry e : list(prefix)) {
            if (!e.key().endsWith("/meta")) {
                delete(e.key());
            }
        }
        return new UploadInfo(id, info.declared(), info.length(), info.createdAt(), now, Optional.of(expected));
    }

    @Override
    public boolean abandon(String owner, String id) throws IOException {
        if (id == null || !ID.matcher(id).matches()) {
            return false;
        }
        List<Entry> entries = list(uploadPrefix(owner, id));
        for (Entry e : entries) {
            if (!e.key().endsWith("/meta")) {
                delete(e.key());
            }
        }
        for (Entry e : entries) {
            if (e.key().endsWith("/meta")) {
                delete(e.key()); // last: while chunks remain the upload is listed, so the collector finds them
            }
        }
        return !entries.isEmpty();
    }

    private State existing(String owner, String id) throws BlobException, IOException {
        if (id == null || !ID.matcher(id).matches()) {
            throw new BlobException(BlobError.UPLOAD_NOT_FOUND, "no such upload");
        }
        return state(id, list(uploadPrefix(owner, id)))
                .orElseThrow(() -> new BlobException(BlobError.UPLOAD_NOT_FOUND, "no such upload"));
    }

    private record State(UploadInfo info, List<Piece> pieces) {
    }

    /** The upload's state from its objects: the contiguous run of chunks from offset 0 gives the offset. */
    private Optional<State> state(String id, List<Entry> entries) throws IOException {
        Entry metaEntry = null;
        List<long[]> chunks = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        Instant updated = null;
        for (Entry e : entries) {
            String name = e.key().substring(e.key().lastIndexOf('/') + 1);
            if (name.equals("meta")) {
                metaEntry = e;
                continue;
            }
            var m = CHUNK.matcher(name);
            if (m.matches()) {
                chunks.add(new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), keys.size()});
                keys.add(e.key());
                updated = updated == null || e.lastModified().isAfter(updated) ? e.lastModified() : updated;
            }
        }
        if (metaEntry == null) {
            return Optional.empty();
        }
        Optional<byte[]> raw = getSmall(metaEntry.key());
        if (raw.isEmpty()) {
            return Optional.empty();
        }
        Meta meta = Meta.decode(raw.get());
        // The contiguous run from 0: at each position the chunk that covers it and reaches furthest (the first listed of
        // equals). One sweep over the chunks by start, not a scan of all of them per piece: an upload in 512 KiB PATCHes
        // has hundreds of chunks, and every PATCH computes this twice.
        chunks.sort(java.util.Comparator.<long[]>comparingLong(c -> c[0]).thenComparingLong(c -> c[2]));
        List<Piece> pieces = new ArrayList<>();
        long pos = 0;
        int next = 0;
        while (true) {
            long[] best = null;
            for (; next < chunks.size() && chunks.get(next)[0] <= pos; next++) {
                long[] c = chunks.get(next);
                if (c[0] + c[1] > pos && (best == null || c[0] + c[1] > best[0] + best[1]
                        || (c[0] + c[1] == best[0] + best[1] && c[2] < best[2]))) {
                    best = c;
                }
            }
            if (best == null) {
                break;
            }
            pieces.add(new Piece(keys.get((int) best[2]), best[0], pos, best[0] + best[1]));
            pos = best[0] + best[1];
        }
        Instant updatedAt = meta.completedAt != null ? meta.completedAt
                : updated != null && updated.isAfter(meta.createdAt) ? updated : meta.createdAt;
        long offset = meta.completedAt != null ? meta.upload.length() : pos;
        Optional<BlobRef> blob = meta.completedAt != null ? Optional.of(meta.upload.sha256()) : Optional.empty();
        return Optional.of(new State(new UploadInfo(id, meta.upload, offset, meta.createdAt, updatedAt, blob), pieces));
    }

    /** The upload's bytes, chunk after chunk, each opened when the one before is read to its end. */
    private InputStream chain(List<Piece> pieces) {
        Iterator<Piece> it = pieces.iterator();
        return new java.io.SequenceInputStream(new Enumeration<>() {
            @Override
            public boolean hasMoreElements() {
                return it.hasNext();
            }

            @Override
            public InputStream nextElement() {
                Piece p = it.next();
                try {
                    return get(p.key(), p.from() - p.start(), p.to() - p.from());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                try {
                    return super.read(b, off, len);
                } catch (UncheckedIOException e) {
                    throw e.getCause();
                }
            }
        };
    }

    // --- blobs -------------------------------------------------------------------------------------------------

    @Override
    public Optional<BlobInfo> blob(BlobRef ref) throws IOException {
        return stat(blobKey(ref)).map(e -> new BlobInfo(ref, e.size(), e.lastModified()));
    }

    @Override
    public InputStream read(BlobRef ref, ByteRange range) throws BlobException, IOException {
        BlobInfo blob = blob(ref).orElseThrow(() -> new BlobException(BlobError.BLOB_NOT_FOUND, "no such blob"));
        long[] span = range.resolve(blob.size());
        if (span[1] < span[0]) {
            return new ByteArrayInputStream(new byte[0]);
        }
        return get(blobKey(ref), span[0], span[1] - span[0] + 1);
    }

    @Override
    public boolean isOwner(BlobRef ref, String user) throws IOException {
        return stat(ownerKey(ref, user)).isPresent();
    }

    private static byte[] mediaType(String type) {
        return (type == null ? DEFAULT_TYPE : type).getBytes(StandardCharsets.UTF_8);
    }

    private static final String DEFAULT_TYPE = "application/octet-stream";

    @Override
    public void grant(BlobRef ref, String user, String mediaType) throws IOException {
        putSmall(grantKey(ref, user), mediaType(mediaType));
    }

    @Override
    public Optional<String> access(BlobRef ref, String user) throws IOException {
        Optional<byte[]> mark = getSmall(ownerKey(ref, user));
        if (mark.isEmpty()) {
            mark = getSmall(grantKey(ref, user));
        }
        // marks of the first build were empty
        return mark.map(b -> b.length == 0 ? DEFAULT_TYPE : new String(b, StandardCharsets.UTF_8));
    }

    @Override
    public Marks marks(BlobRef ref) throws IOException {
        return new Marks(newest(list("owners/" + ref.hex() + "/")), newest(list("grants/" + ref.hex() + "/")));
    }

    private static Instant newest(List<Entry> entries) {
        return entries.stream().map(Entry::lastModified).max(Comparator.naturalOrder()).orElse(null);
    }

    @Override
    public Set<String> owners(BlobRef ref) throws IOException {
        Set<String> owners = new HashSet<>();
        for (Entry e : list("owners/" + ref.hex() + "/")) {
            String name = e.key().substring(e.key().lastIndexOf('/') + 1);
            owners.add(new String(Base64.getUrlDecoder().decode(name), StandardCharsets.UTF_8));
        }
        return owners;
    }

    @Override
    public List<BlobInfo> blobs() throws IOException {
        List<BlobInfo> out = new ArrayList<>();
        for (Entry e : list("blobs/")) {
            String hex = e.key().substring(e.key().lastIndexOf('/') + 1);
            try {
                out.add(new BlobInfo(new BlobRef(hex), e.size(), e.lastModified()));
            } catch (IllegalArgumentException ignored) {
                // not a blob (e.g. a temporary file of the filesystem store)
            }
        }
        out.sort(Comparator.comparing(BlobInfo::storedAt));
        return out;
    }

    @Override
    public boolean delete(BlobRef ref) throws IOException {
        boolean existed = stat(blobKey(ref)).isPresent();
        delete(blobKey(ref)); // first: a failure half-way leaves marks without a blob, which a send refuses anyway
        for (Entry e : list("owners/" + ref.hex() + "/")) {
            delete(e.key());
        }
        for (Entry e : list("grants/" + ref.hex() + "/")) {
            delete(e.key());
        }
        return existed;
    }

    // --- helpers -----------------------------------------------------------------------------------------------

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Reads at most {@code limit} bytes of {@code in}. A probing one reads one byte further at the limit so that
     * {@link #exceeded()} tells whether {@code in} had more; closing it does not close {@code in} when shielded.
     */
    static final class Limited extends FilterInputStream {
        private long left;
        private boolean exceeded;
        private final boolean probe;
        private final boolean shield;

        Limited(InputStream in, long limit) {
            this(in, limit, true, false);
        }

        Limited(InputStream in, long limit, boolean probe, boolean shield) {
            super(in);
            this.left = limit;
            this.probe = probe;
            this.shield = shield;
        }

        /** A view of the next {@code limit} bytes of {@code in}, which stays open when the view is closed. */
        static Limited view(InputStream in, long limit) {
            return new Limited(in, limit, false, true);
        }

        @Override
        public void close() throws IOException {
            if (!shield) {
                super.close();
            }
        }

        @Override
        public boolean markSupported() {
            return false;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left <= 0) {
                if (probe && !exceeded && in.read() >= 0) {
                    exceeded = true;
                }
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n > 0) {
                left -= n;
            }
            return n;
        }

        boolean exceeded() {
            return exceeded;
        }
    }

    private static final class OutputStreamNull extends java.io.OutputStream {
        static final OutputStreamNull INSTANCE = new OutputStreamNull();

        @Override
        public void write(int b) {
        }

        @Override
        public void write(byte[] b, int off, int len) {
        }
    }

    /** An upload's declaration and outcome, stored as properties text. */
    private record Meta(NewUpload upload, Instant createdAt, Instant completedAt) {
        byte[] encode() {
            Properties p = new Properties();
            p.setProperty("owner", upload.owner());
            p.setProperty("length", Long.toString(upload.length()));
            p.setProperty("sha256", upload.sha256().hex());
            if (upload.mediaType() != null) {
                p.setProperty("mediaType", upload.mediaType());
            }
            if (upload.fileName() != null) {
                p.setProperty("fileName", upload.fileName());
            }
            p.setProperty("createdAt", createdAt.toString());
            if (completedAt != null) {
                p.setProperty("completedAt", completedAt.toString());
            }
            StringWriter out = new StringWriter();
            try {
                p.store(out, null);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return out.toString().getBytes(StandardCharsets.UTF_8);
        }

        static Meta decode(byte[] raw) throws IOException {
            Properties p = new Properties();
            p.load(new StringReader(new String(raw, StandardCharsets.UTF_8)));
            String completed = p.getProperty("completedAt");
            return new Meta(new NewUpload(p.getProperty("owner"), Long.parseLong(p.getProperty("length")),
                    new BlobRef(p.getProperty("sha256")), p.getProperty("mediaType"), p.getProperty("fileName")),
                    Instant.parse(p.getProperty("createdAt")), completed == null ? null : Instant.parse(completed));
        }
    }
}
