package dev.pigeonhole.client;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * An entry of the user's inbox.
 *
 * @param seq    position in the inbox (1, 2, 3, … without gaps)
 * @param own    true for a copy of something this user sent (possibly from this very device: compare
 *               {@code fromDevice})
 * @param sentAt epoch milliseconds when the server accepted it
 */
public record IncomingMessage(long seq, String id, String from, String fromDevice, String to, JsonNode body,
                              long sentAt, boolean own) {}
