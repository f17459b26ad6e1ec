package dev.pigeonhole.client.spi;

/**
 * Everything the client keeps locally, in one storage: the outbox ({@link Outbox}), the local message store and the
 * inbox position ({@link InboxStore}, {@link CursorStore}) and the shadow outbox ({@link ShadowOutbox}). Give one with
 * {@code ClientOptions.Builder.store}; the shipped ones are SQLite over JDBC (sqlite-jdbc, in the data directory) and
 * memory (without one). An Android app implements it on {@code android.database.sqlite} (client/DESIGN.md).
 *
 * <p>Implementations are thread-safe: the client calls them from its I/O thread and the listener's thread, and the
 * reading methods ({@code history}, {@code unshown}, …) from the app's threads. What must be one transaction is said
 * on each method ({@link InboxStore#received}, {@link ShadowOutbox#queueShadowUpdate}). The contract tests
 * ({@code OutboxContractTest}, {@code InboxStoreContractTest}, {@code ShadowOutboxContractTest} in the client's
 * test-jar) check an implementation: subclass them. The client closes the store when it closes.
 */
public interface Store extends Outbox, InboxStore, ShadowOutbox, Uploads {}
