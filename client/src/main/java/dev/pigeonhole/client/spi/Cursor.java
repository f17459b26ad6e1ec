package dev.pigeonhole.client.spi;

/**
 * The inbox position this device has processed up to, and the epoch (inbox history) it belongs to.
 *
 * @param epoch 0 while unknown
 */
public record Cursor(long seq, long epoch) {
    public static final Cursor START = new Cursor(0, 0);
}
