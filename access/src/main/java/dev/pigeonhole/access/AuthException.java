package dev.pigeonhole.access;

/** Credentials were missing or not accepted; the message is safe to show to the client (never the token). */
public final class AuthException extends Exception {
    public AuthException(String reason) {
        super(reason, null, false, false);
    }
}
