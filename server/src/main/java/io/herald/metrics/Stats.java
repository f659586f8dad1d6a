package io.herald.metrics;

import io.herald.protocol.Endpoint;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.snapshots.Unit;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
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
    /** Open sessions carried by Engine.IO long-polling (§7); the rest are on WebSockets. */
    private final AtomicInteger polling = new AtomicInteger();
    /** Publish to socket write, per delivery (§9). Classic buckets only: cheap enough for the fan-out path. */
    private final Histogram deliveryLatency = Histogram.builder()
            .name("herald_delivery_latency_seconds")
            .help("Time from publication to the write of its frame to a subscriber's socket")
            .unit(Unit.SECONDS)
            .classicOnly()
            .classicUpperBounds(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1)
            .build();

    /** @param user null while the connection has not authenticated yet (Socket.IO, §7); see {@link #userJoined} */
    public void connectionOpened(Endpoint endpoint, String user) {
        connections.incrementAndGet(endpoint.ordinal());
        userJoined(user);
    }

    public void connectionClosed(Endpoint endpoint, String user) {
        connections.decrementAndGet(endpoint.ordinal());
        userLeft(user);
    }

    /** An open connection authenticated as {@code user} (null: nobody yet). */
    public void userJoined(String user) {
        if (user != null) {
            users.merge(user, 1, Integer::sum);
        }
    }

    public void userLeft(String user) {
        if (user != null) {
            users.computeIfPresent(user, (k, n) -> n == 1 ? null : n - 1);
        }
    }

    /** A counted session moved onto long-polling ({@code +1}) or off it ({@code -1}): §7 opens and upgrades. */
    public void pollingChanged(int delta) {
        polling.addAndGet(delta);
    }

    /** Open sessions on long-polling (§7). */
    public int pollingConnections() {
        return polling.get();
    }

    /** Open sessions on WebSockets. */
    public int websocketConnections() {
        return Math.max(0, connections() - polling.get());
    }

    public void countPublished() {
        published.increment();
    }

    public void countDelivered(int n) {
        if (n > 0) {
            delivered.add(n);
        }
    }

    /** One delivery written {@code nanos} after its publication. */
    public void recordDeliveryLatency(long nanos) {
        deliveryLatency.observe(nanos / 1e9);
    }

    public Histogram deliveryLatency() {
        return deliveryLatency;
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
