package dev.pigeonhole.client.cli;

import dev.pigeonhole.client.InboxEntry;
import dev.pigeonhole.client.PigeonholeClient;
import java.util.List;
import java.util.function.Function;

/**
 * What {@code tail} and {@code chat} print: every entry of the local store not shown yet by either (one "shown up
 * to" marker per data directory, consumer {@value #CONSUMER}), in the order received. Entries a {@code send},
 * {@code flush} or {@code history} received stay unshown until one of them runs. Call {@link #show} whenever an
 * entry may have arrived (listener methods run after the entry is stored).
 */
final class Feed {
    static final String CONSUMER = "cli";
    private static final int PAGE = 256;

    /** Prints the entry (or not) and says whether to go on (false: stop, this entry counts as shown). */
    interface Printer extends Function<InboxEntry, Boolean> {}

    private final Printer printer;
    private PigeonholeClient client;
    private boolean stopped;

    Feed(Printer printer) {
        this.printer = printer;
    }

    /** Starts printing: everything not shown yet, then what arrives. */
    synchronized void attach(PigeonholeClient c) {
        client = c;
        show();
    }

    synchronized void show() {
        if (client == null || stopped) {
            return;
        }
        while (true) {
            List<InboxEntry> entries = client.unshown(CONSUMER, PAGE);
            if (entries.isEmpty()) {
                return;
            }
            long last = 0;
            try {
                for (InboxEntry e : entries) {
                    last = e.id();
                    if (!printer.apply(e)) {
                        stopped = true;
                        return;
                    }
                }
            } finally {
                client.markShown(CONSUMER, last);
            }
        }
    }
}
