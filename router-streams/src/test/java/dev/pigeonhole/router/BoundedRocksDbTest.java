package dev.pigeonhole.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class BoundedRocksDbTest {
    @Test
    void theBudgetComesFromTheStreamsConfigWithAFloor() {
        assertThat(BoundedRocksDb.memory(null)).isEqualTo(BoundedRocksDb.DEFAULT_MEMORY);
        assertThat(BoundedRocksDb.memory("134217728")).isEqualTo(128L << 20);
        assertThatThrownBy(() -> BoundedRocksDb.memory("1000")).hasMessageContaining("at least 16 MiB");
    }
}
