package dev.pigeonhole.protocol.topics;

/**
 * Where a device's inbox socket lives, written by delivery to {@link Topics#SESSIONS} keyed by user: on
 * connect, periodically while connected (a refresh), and on disconnect ({@code connected=false}).
 */
public record SessionRecord(String device, String instance, boolean connected) {}
