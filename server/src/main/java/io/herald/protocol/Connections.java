package io.herald.protocol;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Every open session (WebSocket connections and long-polling sessions alike), kept per event loop, and the one
 * timer mechanism of §8: each loop runs a single periodic sweep over its own sessions that closes the idle ones (§8.1, 1001) and the expired ones
 * (§8.2, 4401). One task per loop per tick, whatever the number of connections, so it scales to 100k
 * connections without 100k timers. Also spreads the closes of a graceful shutdown (§8.6), and owns each
 * loop's {@link FlushBatcher}.
 */
public final class Connections {
    private final long idleNanos;
    private final int maxConnections;
    /** Sessions admitted and not yet ended, for {@code HERALD_MAX_CONNECTIONS} (§1). */
    private final AtomicInteger admitted = new AtomicInteger();
    private final long tickMillis;
    private final Clock clock;
    private final ConcurrentHashMap<EventExecutor, LoopConnections> loops = new ConcurrentHashMap<>();

    public Connections(Duration idleTimeout, Clock clock) {
        this(idleTimeout, clock, Duration.ofSeconds(1), 0);
    }

    /**
     * @param maxTick        the sweep runs at least this often (a dialect's heartbeat may need it faster)
     * @param maxConnections §1: sessions past this are refused; 0 for no cap
     */
    public Connections(Duration idleTimeout, Clock clock, Duration maxTick, int maxConnections) {
        this.idleNanos = idleTimeout.toNanos();
        this.maxConnections = maxConnections;
        // Idle and expiry are judged to a tenth of the idle timeout, between 50 ms and 1 s (or maxTick).
        this.tickMillis = Math.max(10, Math.min(maxTick.toMillis(), Math.max(50, Math.min(1000, idleTimeout.toMillis() / 10))));
        this.clock = clock;
    }

    /** The connections of one event loop; touched on that loop only. */
    private final class LoopConnections implements Runnable {
        final EventExecutor loop;
        final Set<Connection<?>> open = new LinkedHashSet<>();
        final FlushBatcher flusher;
        ScheduledFuture<?> sweep;
        /** Reused by every sweep of this loop. */
        List<Connection<?>> ticked;

        LoopConnections(EventExecutor loop) {
            this.loop = loop;
            this.flusher = FlushBatcher.forLoop(loop);
        }

        @Override
        public void run() {
            long now = System.nanoTime();
            long wallMillis = clock.millis();
            List<Connection<?>> idle = null;
            List<Connection<?>> expired = null;
            List<Connection<?>> ticked = this.ticked;
            for (Connection<?> c : open) {
                if (c.isClosing()) {
                    continue;
                }
                if (now - c.lastReadNanos() > idleNanos) {
                    (idle == null ? idle = new ArrayList<>() : idle).add(c);
                } else if (wallMillis > c.deadlineMillis()) {
                    (expired == null ? expired = new ArrayList<>() : expired).add(c);
                } else {
                    ticked = ticked == null ? new ArrayList<>() : ticked;
                    ticked.add(c);
                }
            }
            if (idle != null) {
                idle.forEach(c -> c.close(Disconnect.IDLE_TIMEOUT));
            }
            if (expired != null) {
                expired.forEach(c -> c.close(Disconnect.TOKEN_EXPIRED));
            }
            if (ticked != null) {
                // a dialect's tick may close its connection, so not while iterating the set
                for (Connection<?> c : ticked) {
                    if (!c.isClosing()) {
                        c.tick(now);
                    }
                }
                ticked.clear();
                this.ticked = ticked;
            }
        }
    }

    /**
     * Takes a place under {@code HERALD_MAX_CONNECTIONS} for a new session; false when there is none. Whoever
     * got true calls {@link #release()} exactly once when the session ends.
     */
    public boolean tryAdmit() {
        while (true) {
            int n = admitted.get();
            if (maxConnections > 0 && n >= maxConnections) {
                return false;
            }
            if (admitted.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** Gives back a place taken with {@link #tryAdmit()}. */
    public void release() {
        admitted.decrementAndGet();
    }

    /** Called on the connection's loop once it is open; its event flushes then wait for the end of the turn. */
    void add(Connection<?> c) {
        LoopConnections lc = loops.computeIfAbsent(c.eventLoop(), LoopConnections::new);
        lc.open.add(c);
        if (lc.sweep == null) {
            lc.sweep = lc.loop.scheduleAtFixedRate(lc, tickMillis, tickMillis, TimeUnit.MILLISECONDS);
        }
        c.useFlusher(lc.flusher);
    }

    /** Called on the session's loop when it is gone. */
    void remove(Connection<?> c) {
        LoopConnections lc = loops.get(c.eventLoop());
        if (lc != null) {
            lc.open.remove(c);
        }
    }

    /** Open connections on every loop (approximate while connections come and go). */
    public int size() {
        int n = 0;
        for (LoopConnections lc : loops.values()) {
            n += lc.open.size();
        }
        return n;
    }

    /**
     * Bytes written or queued for every open session and not yet taken by its client, summed on each session's own
     * loop: what §8.3's bound keeps small however the clients behave. For metrics and tests.
     */
    public CompletableFuture<Long> outboundBytes() {
        List<CompletableFuture<Long>> parts = new ArrayList<>();
        for (LoopConnections lc : loops.values()) {
            CompletableFuture<Long> part = new CompletableFuture<>();
            parts.add(part);
            try {
                lc.loop.execute(() -> {
                    long n = 0;
                    for (Connection<?> s : lc.open) {
                        n += s.outboundBytes();
                    }
                    part.complete(n);
                });
            } catch (RejectedExecutionException e) {
                part.complete(0L);
            }
        }
        return CompletableFuture.allOf(parts.toArray(new CompletableFuture[0]))
                .thenApply(v -> parts.stream().mapToLong(CompletableFuture::join).sum());
    }

    /**
     * Runs {@code action} for every open connection that passes {@code which}, on that connection's own loop, one task
     * per loop; completes with the non-null results (§12 control API). Approximate while connections come and go.
     */
    public <T> CompletableFuture<List<T>> collect(java.util.function.Predicate<Connection<?>> which,
                                                  java.util.function.Function<Connection<?>, T> action) {
        List<CompletableFuture<List<T>>> parts = new ArrayList<>();
        for (LoopConnections lc : loops.values()) {
            CompletableFuture<List<T>> part = new CompletableFuture<>();
            parts.add(part);
            try {
                lc.loop.execute(() -> {
                    List<T> out = new ArrayList<>();
                    try {
                        for (Connection<?> c : new ArrayList<>(lc.open)) { // an action may close its connection
                            if (!c.isClosing() && which.test(c)) {
                                T t = action.apply(c);
                                if (t != null) {
                                    out.add(t);
                                }
                            }
                        }
                    } finally {
                        part.complete(out);
                    }
                });
            } catch (RejectedExecutionException e) {
                part.complete(List.of());
            }
        }
        return CompletableFuture.allOf(parts.toArray(new CompletableFuture[0])).thenApply(v -> {
            List<T> all = new ArrayList<>();
            parts.forEach(p -> all.addAll(p.join()));
            return all;
        });
    }

    /**
     * §10: after a broker outage, tells every open connection subscribed to one of {@code topics} that it may
     * have missed events: one {@code force_sync} per such subscription, in the connection's own dialect. One
     * task per event loop.
     */
    public void forceSync(Set<String> topics) {
        for (LoopConnections lc : loops.values()) {
            try {
                lc.loop.execute(() -> {
                    for (Connection<?> s : lc.open) {
                        s.forceSync(topics);
                    }
                });
            } catch (RejectedExecutionException e) {
                // the loop is shutting down with its connections
            }
        }
    }

    /**
     * §8.6: closes every connection 1001 {@code going away}, spreading each loop's closes evenly over
     * {@code spread} so clients do not reconnect as one wave. Completes when every channel is closed.
     */
    public CompletableFuture<Void> closeAll(Disconnect why, Duration spread) {
        List<CompletableFuture<Void>> done = new ArrayList<>();
        for (LoopConnections lc : loops.values()) {
            CompletableFuture<Void> loopDone = new CompletableFuture<>();
            done.add(loopDone);
            try {
                lc.loop.execute(() -> closeSpread(lc, why, spread, loopDone));
            } catch (RejectedExecutionException e) {
                loopDone.complete(null);
            }
        }
        return CompletableFuture.allOf(done.toArray(new CompletableFuture[0]));
    }

    private void closeSpread(LoopConnections lc, Disconnect why, Duration spread, CompletableFuture<Void> done) {
        if (lc.sweep != null) {
            lc.sweep.cancel(false);
            lc.sweep = null;
        }
        List<Connection<?>> all = new ArrayList<>(lc.open);
        if (all.isEmpty()) {
            done.complete(null);
            return;
        }
        List<CompletableFuture<Void>> closed = new ArrayList<>(all.size());
        long step = all.size() > 1 ? spread.toNanos() / all.size() : 0;
        for (int i = 0; i < all.size(); i++) {
            Connection<?> c = all.get(i);
            CompletableFuture<Void> f = new CompletableFuture<>();
            closed.add(f);
            c.whenClosed(() -> f.complete(null));
            if (i == 0 || step == 0) {
                c.close(why);
            } else {
                lc.loop.schedule(() -> c.close(why), step * i, TimeUnit.NANOSECONDS);
            }
        }
        CompletableFuture.allOf(closed.toArray(new CompletableFuture[0])).whenComplete((v, t) -> done.complete(null));
    }
}
