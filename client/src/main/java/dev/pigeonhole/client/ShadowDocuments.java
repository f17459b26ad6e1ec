package dev.pigeonhole.client;

/**
 * A {@code shadow_documents} entry of the inbox (docs/shadow.md): a shadow changed. While a device is away, newer
 * entries of the same shadow replace older ones, so it wakes to the latest change only.
 *
 * @param seq      the entry's inbox seq (in order with messages; acknowledged like them)
 * @param name     "" for the classic shadow
 * @param by       the device that made the change
 * @param previous the document before the change; null for a new shadow
 * @param current  the document after the change; null after a delete
 * @param at       epoch milliseconds of the change
 */
public record ShadowDocuments(long seq, String thing, String name, String by, ShadowDocument previous,
                              ShadowDocument current, long at) {}
