package dev.pigeonhole.load;

import java.net.URI;
import java.util.List;
import java.util.Objects;

/**
 * The running Pigeonhole a scenario drives: where to send, where to receive, and (optionally) what to measure.
 *
 * @param gateway         base of the gateway, {@code ws://host:port} ({@code /v1/send}; its {@code http} twin serves
 *                        {@code /v1/groups})
 * @param deliveries      bases of the delivery instances, {@code ws://host:port}; clients are spread over them and
 *                        fail over to the next one after a drop
 * @param management      base of the management interface ({@code http://host:port}, serves {@code /q/metrics}) of the
 *                        process measured, or null
 * @param serverPid       the process measured (RSS and CPU from {@code /proc}, {@code jcmd GC.run}), or -1
 * @param sourceAddresses how many loopback source addresses to bind connections to, round-robin over
 *                        127.0.0.2 … 127.0.0.(1 + n); 0: let the OS choose
 * @param auth            how clients prove who they are
 */
public record Target(URI gateway, List<URI> deliveries, URI management, long serverPid, int sourceAddresses, Auth auth) {
    public Target {
        Objects.requireNonNull(gateway, "gateway");
        deliveries = List.copyOf(deliveries);
        if (deliveries.isEmpty()) {
            throw new IllegalArgumentException("at least one delivery URL");
        }
        if (sourceAddresses < 0 || sourceAddresses > 250) {
            throw new IllegalArgumentException("source addresses: 0..250");
        }
        Objects.requireNonNull(auth, "auth");
    }

    /** Gateway and delivery on one base (the standalone mode), dev identity, 4 source addresses, nothing measured. */
    public static Target standalone(URI base) {
        return new Target(base, List.of(base), null, -1, 4, Auth.devIdentity());
    }

    public Target withManagement(URI management, long serverPid) {
        return new Target(gateway, deliveries, management, serverPid, sourceAddresses, auth);
    }

    public Target withDeliveries(List<URI> deliveries) {
        return new Target(gateway, deliveries, management, serverPid, sourceAddresses, auth);
    }

    /** The gateway's HTTP base ({@code ws} → {@code http}). */
    public URI gatewayHttp() {
        return URI.create(gateway.toString().replaceFirst("^ws", "http"));
    }

    @Override
    public String toString() {
        return "gateway " + gateway + ", delivery " + deliveries + (management != null ? ", management " + management : "")
                + (serverPid > 0 ? ", server pid " + serverPid : "") + ", " + sourceAddresses + " source addresses, "
                + auth;
    }
}
