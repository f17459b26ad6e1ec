package dev.pigeonhole.protocol;

/** A shadow request the server refuses before it reaches the router: answered with {@link #rejection()}. */
public final class ShadowFrameException extends ProtocolException {
    private final ServerFrame.ShadowRejected rejection;

    ShadowFrameException(ServerFrame.ShadowRejected rejection) {
        super(rejection.code(), rejection.message(), null);
        this.rejection = rejection;
    }

    public ServerFrame.ShadowRejected rejection() {
        return rejection;
    }
}
