package dev.pigeonhole.client.spi;

/** Where the inbox position is kept between runs. Implementations are thread-safe. */
public interface CursorStore {
    Cursor load();

    /** Returns once the position is stored as durably as the implementation can. */
    void save(Cursor cursor);
}
