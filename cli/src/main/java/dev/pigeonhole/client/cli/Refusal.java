package dev.pigeonhole.client.cli;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A connection the server refused with a do-not-reconnect close code (4100-4199, docs/protocol.md): the SDK stops
 * reconnecting that socket and reports {@code onRefused}; the CLI says so in one line on stderr and exits with
 * {@link PigeonholeCli#REFUSED}. Both sockets may be refused: only the first refusal is said.
 */
final class Refusal {
    private final AtomicInteger code = new AtomicInteger();
    private final CountDownLatch said = new CountDownLatch(1);

    /** Records the refusal; true for the first one (say it, then call {@link #said()}), false after. */
    boolean refused(int closeCode) {
        return code.compareAndSet(0, closeCode);
    }

    /** The refusal was printed. */
    void said() {
        said.countDown();
    }

    /** Whether a refusal was printed, waiting up to {@code max} for one (it is reported on the listener thread). */
    boolean awaitSaid(Duration max) throws InterruptedException {
        return said.await(max.toMillis(), TimeUnit.MILLISECONDS);
    }

    boolean happened() {
        return code.get() != 0;
    }

    int code() {
        return code.get();
    }

    /** What a refusal means for this user and device, e.g. {@code displaced: another client of alice/phone took …}. */
    static String describe(int closeCode, String reason, ClientMixin client) {
        String who = client.user + "/" + client.device;
        String why = reason == null || reason.isBlank() ? "" : ": " + reason;
        return switch (closeCode) {
            case 4103 -> "displaced: another client of " + who + " took this device's inbox (4103)";
            case 4100 -> "unauthorized (4100)" + why + " (check --token or $PIGEONHOLE_TOKEN)";
            case 4104 -> "device removed (4104): " + who + " was removed from the user's devices";
            case 4105 -> "too many devices (4105): " + client.user + " has the maximum of registered devices; remove one"
                    + " (DELETE /v1/devices/{device}) before " + client.device + " can connect";
            case 4101 -> "bad request (4101)" + why;
            default -> "refused by the server (" + closeCode + ")" + why;
        };
    }

    /** The line a long-running command prints on stderr before it exits with {@link PigeonholeCli#REFUSED}. */
    static String stopping(int closeCode, String reason, ClientMixin client) {
        return "* " + describe(closeCode, reason, client) + "; stopping";
    }
}
