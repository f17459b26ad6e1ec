package dev.pigeonhole.client;

/**
 * An inbox entry as the client stored it locally ({@link PigeonholeClient#history}, {@link PigeonholeClient#unshown}).
 * Every entry the client receives is written to the local store before the server is told where to resume, so what
 * was received stays readable here — offline too, and whether or not a {@link Listener} saw it.
 *
 * @param id     the local store's order: increases with every entry stored (unlike {@code seq}, it does not start
 *               over when the server's inbox is rebuilt, {@link Listener#onResync})
 * @param seq    the entry's position in the server's inbox; for a {@code gap}, the last seq it covers
 * @param kind   the entry's wire type: {@code message}, {@code receipt}, {@code undelivered}, {@code shadow_delta},
 *               {@code shadow_documents} or {@code gap}
 * @param from   who it is from: the sender of a message, {@code by} of a receipt or of shadow documents, the
 *               {@code recipient} of an undelivered entry; null otherwise
 * @param to     a message's recipient as the sender wrote it ({@code bob}, {@code group:team}); null otherwise
 * @param own    true for a copy of a message this user sent
 * @param sentAt epoch ms when the server accepted the message (the entry's {@code at} for other kinds; 0 for gaps)
 * @param json   the entry frame as received (docs/protocol.md, {@code /v1/inbox})
 */
public record InboxEntry(long id, long seq, String kind, String from, String to, boolean own, long sentAt, String json) {}
