package io.herald.client.time;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/** Runs a task once after a delay. Injected with a {@link Ticker} so tests can drive virtual time. */
@FunctionalInterface
public interface Scheduler {
    /** A scheduled task that may be called off. */
    @FunctionalInterface
    interface Cancellable {
        void cancel();
    }

    Cancellable schedule(Runnable task, long delayNanos);

    /** On an executor, e.g. a Netty event loop or a {@code ScheduledThreadPoolExecutor}. */
    static Scheduler of(ScheduledExecutorService executor) {
        return (task, delayNanos) -> {
            ScheduledFuture<?> f = executor.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
            return () -> f.cancel(false);
        };
    }
}
