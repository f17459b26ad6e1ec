package dev.pigeonhole.client.internal;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Runs tasks one at a time, in the order given, on any executor (one thread or a pool): the listener's callbacks.
 * A task that throws is logged and the next one runs. After {@link #shutdown} new tasks are dropped and
 * {@link #terminated} completes once the queued ones ran.
 */
public final class SerialExecutor implements Executor {
    private static final System.Logger LOG = System.getLogger(SerialExecutor.class.getName());
    private static final ThreadLocal<SerialExecutor> RUNNING = new ThreadLocal<>();

    private final Executor delegate;
    private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
    private final CompletableFuture<Void> terminated = new CompletableFuture<>();
    /** A drain is submitted to the delegate or running. */
    private boolean active;
    private boolean shutdown;

    public SerialExecutor(Executor delegate) {
        this.delegate = delegate;
    }

    /** Queues the task; dropped after {@link #shutdown}. */
    @Override
    public void execute(Runnable task) {
        synchronized (this) {
            if (shutdown) {
                return;
            }
            tasks.add(task);
            if (active) {
                return;
            }
            active = true;
        }
        submit();
    }

    /** True on a thread that is running one of this executor's tasks (a listener callback). */
    public boolean inTask() {
        return RUNNING.get() == this;
    }

    /** Accepts no new task; {@link #terminated} completes once the queued ones ran. */
    public void shutdown() {
        synchronized (this) {
            shutdown = true;
            if (active) {
                return;
            }
        }
        terminated.complete(null);
    }

    public CompletableFuture<Void> terminated() {
        return terminated;
    }

    private void submit() {
        try {
            delegate.execute(this::drain);
        } catch (RejectedExecutionException e) {
            LOG.log(System.Logger.Level.WARNING, "the listener executor refused a task; dropping the queued callbacks", e);
            synchronized (this) {
                tasks.clear();
                active = false;
                if (!shutdown) {
                    return;
                }
            }
            terminated.complete(null);
        }
    }

    /** Runs one task, then hands the thread back to the delegate (fair to a shared pool) and continues from there. */
    private void drain() {
        Runnable task;
        synchronized (this) {
            task = tasks.poll();
        }
        RUNNING.set(this);
        try {
            task.run();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "listener failed", e);
        } finally {
            RUNNING.remove();
        }
        boolean more;
        boolean done;
        synchronized (this) {
            more = !tasks.isEmpty();
            active = more;
            done = !more && shutdown;
        }
        if (more) {
            submit();
        } else if (done) {
            terminated.complete(null);
        }
    }
}
