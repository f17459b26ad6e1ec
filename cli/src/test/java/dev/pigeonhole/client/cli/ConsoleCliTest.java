package dev.pigeonhole.client.cli;

import dev.pigeonhole.client.FakeWsServer;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** CLI commands run in-process: stdout and stderr captured, stdin restored, the fake servers closed after each test. */
abstract class ConsoleCliTest {
    protected final ByteArrayOutputStream out = new ByteArrayOutputStream();
    protected final ByteArrayOutputStream err = new ByteArrayOutputStream();
    protected final List<FakeWsServer> servers = new ArrayList<>();
    protected PrintStream savedOut; // the real stdout, for figures a test prints
    private PrintStream savedErr;
    private InputStream savedIn;

    @BeforeEach
    void capture() {
        savedOut = System.out;
        savedErr = System.err;
        savedIn = System.in;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() throws Exception {
        System.setOut(savedOut);
        System.setErr(savedErr);
        System.setIn(savedIn);
        for (FakeWsServer s : servers) {
            s.close();
        }
    }
}
