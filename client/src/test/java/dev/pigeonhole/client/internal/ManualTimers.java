package dev.pigeonhole.client.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Timers driven by the test: time moves only in {@link #advance}. */
final class ManualTimers implements Timers {
    private record Task(long due, long order, Runnable run, boolean[] cancelled) {}

    private final List<Task> tasks = new ArrayList<>();
    private long now;
    private long order;

    @Override
    public long nowMillis() {
        return now;
    }

    @Override
    public Cancellable schedule(Runnable task, Duration delay) {
        boolean[] cancelled = {false};
        tasks.add(new Task(now + delay.toMillis(), order++, task, cancelled));
        return () -> cancelled[0] = true;
    }

    /** Moves time forward, running due tasks in time order. */
    void advance(Duration d) {
        long target = now + d.toMillis();
        while (true) {
            Task next = tasks.stream().filter(t -> t.due() <= target)
                    .min(Comparator.comparingLong(Task::due).thenComparingLong(Task::order)).orElse(null);
            if (next == null) {
                break;
            }
            tasks.remove(next);
            now = Math.max(now, next.due());
            if (!next.cancelled()[0]) {
                next.run().run();
            }
        }
        now = target;
    }
}
