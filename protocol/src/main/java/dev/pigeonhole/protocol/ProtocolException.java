package dev.pigeonhole.protocol;

/** A client frame the server refuses; {@link #id()} is the client message id when it could be read. */
public class ProtocolException extends Exception {
    private final ErrorCode code;
    private final String id;

    public ProtocolException(ErrorCode code, String message, String id) {
        super(message, null, false, false);
        this.code = code;
        this.id = id;
    }

    public ErrorCode code() {
        return code;
    }

    public String id() {
        return id;
    }
}
