package dev.pigeonhole.gateway;

/**
 * The sends of one {@code /v1/send} connection started and not yet answered. Once the connection drains (shutdown),
 * no send starts any more and the answer to the last one in flight closes the socket: nothing started is left
 * unanswered, and what the client sends later it sends again after reconnecting (it was never answered).
 */
final class InFlight {
    private int sends;
    private boolean draining;

    /** Whether a send may start (then it counts until {@link #answered()}); false once draining. */
    synchronized boolean start() {
        if (draining) {
            return false;
        }
        sends++;
        return true;
    }

    /** A started send was answered; true if the socket is to close now (draining, none left). */
    synchronized boolean answered() {
        sends--;
        return draining && sends == 0;
    }

    /** The connection drains; true if the socket may close now (nothing in flight). */
    synchronized boolean drain() {
        draining = true;
        return sends == 0;
    }
}
