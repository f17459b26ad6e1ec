package dev.pigeonhole.records;

import java.util.List;

/**
 * A user's registered devices, as the router's read API and {@code GET /v1/devices} answer them.
 *
 * @param head the inbox head: a device whose {@code cursor} is below it has entries waiting
 */
public record DeviceList(String user, long head, List<Device> devices) {

    /** {@code cursor}: acked up to; {@code read}: read marker; {@code connected}: has a live inbox socket. */
    public record Device(String device, long cursor, long read, long registeredAt, boolean connected) {}
}
