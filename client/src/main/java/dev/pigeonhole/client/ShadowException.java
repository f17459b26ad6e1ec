package dev.pigeonhole.client;

/**
 * The server refused a shadow request ({@code shadow_rejected}, docs/shadow.md), or the client knows it would. Shadow
 * futures complete exceptionally with it (wrapped in a {@link java.util.concurrent.CompletionException} by
 * {@code join()}, an {@link java.util.concurrent.ExecutionException} by {@code get()}).
 */
public final class ShadowException extends RuntimeException {
    private final String code;
    private final String op;
    private final String thing;
    private final String name;
    private final Long currentVersion;

    /**
     * @param code           the wire code: {@code version_conflict}, {@code not_found}, {@code forbidden},
     *                       {@code invalid_field}, {@code too_large}, {@code unavailable}, …
     * @param op             {@code get}, {@code update} or {@code delete}
     * @param currentVersion the shadow's version when the server said it (a conflict on an existing shadow), else null
     */
    public ShadowException(String code, String message, String op, String thing, String name, Long currentVersion) {
        super(code + ": " + message);
        this.code = code;
        this.op = op;
        this.thing = thing;
        this.name = name;
        this.currentVersion = currentVersion;
    }

    /** The wire code, e.g. {@code version_conflict}. */
    public String code() {
        return code;
    }

    public String op() {
        return op;
    }

    public String thing() {
        return thing;
    }

    /** "" for the classic shadow. */
    public String name() {
        return name;
    }

    /** The shadow's current version (e.g. with {@code version_conflict}), or null when the answer did not carry one. */
    public Long currentVersion() {
        return currentVersion;
    }
}
