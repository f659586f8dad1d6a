package io.herald.metrics;

import io.herald.protocol.Endpoint;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * The instance's counters (§9). Written from every event loop without contention: {@link LongAdder}s,
 * and per-task batching by the callers on the fan-out path.
 */
public final class Stats {
    private final long startNanos = System.nanoTime();
    private final AtomicIntegerArray connections = new AtomicIntegerArray(Endpoint.values().length);
    private final ConcurrentHashMap<String, Integer> users = new ConcurrentHashMap<>();
    private final LongAdder published = new LongAdder();
    private final LongAdder delivered = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final LongAdder slowConsumerCloses = new LongAdder();

    public void connectionOpened(Endpoint endpoint, String user) {
        connections.incrementAndGet(endpoint.ordinal());
        users.merge(user, 1, Integer::sum);
    }

    public void connectionClosed(Endpoint endpoint, String user) {
        connections.decrementAndGet(endpoint.ordinal());
        users.computeIfPresent(user, (k, n) -> n == 1 ? null : n - 1);
    }

    public void countPublished() {
        published.increment();
    }

    public void countDelivered(int n) {
        if (n > 0) {
            delivered.add(n);
        }
    }

    public void countDropped(int n) {
        dropped.add(n);
    }

    public void countSlowConsumerClose() {
        slowConsumerCloses.increment();
    }

    public int connections(Endpoint endpoint) {
        return connections.get(endpoint.ordinal());
    }

    public int connections() {
        int total = 0;
        for (int i = 0; i < connections.length(); i++) {
            total += connections.get(i);
        }
        return total;
    }

    public int users() {
        return users.size();
    }

    public long published() {
        return published.sum();
    }

    public long delivered() {
        return delivered.sum();
    }

    public long dropped() {
        return dropped.sum();
    }

    public long slowConsumerCloses() {
        return slowConsumerCloses.sum();
    }

    public long uptimeSeconds() {
        return (System.nanoTime() - startNanos) / 1_000_000_000L;
    }
}
