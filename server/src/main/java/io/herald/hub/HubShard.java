package io.herald.hub;

import io.herald.metrics.Stats;
import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.EventExecutor;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The subscriptions of one event loop's connections. Touched only on that loop: no locks, and a
 * publication costs one task here however many of its subscribers this loop holds.
 */
final class HubShard {
    final EventExecutor loop;
    private final Map<String, Set<Subscriber>> members = new HashMap<>();

    HubShard(EventExecutor loop) {
        this.loop = loop;
    }

    /** Adds; returns true when {@code s} is this shard's first subscriber of the topic. */
    boolean add(String topic, Subscriber s) {
        Set<Subscriber> set = members.get(topic);
        boolean first = set == null;
        if (first) {
            set = new HashSet<>();
            members.put(topic, set);
        }
        set.add(s);
        return first;
    }

    /** Removes; returns true when the topic has no subscriber left on this shard. */
    boolean remove(String topic, Subscriber s) {
        Set<Subscriber> set = members.get(topic);
        if (set == null || !set.remove(s)) {
            return false;
        }
        if (set.isEmpty()) {
            members.remove(topic);
            return true;
        }
        return false;
    }

    /**
     * Runs on {@link #loop}: hands each subscriber of the topic its dialect's frame. Netty defers
     * channelInactive to a later task, so no subscriber leaves the set while this loop runs.
     *
     * @return frames accepted by subscribers
     */
    int deliver(Publication pub, Stats stats) {
        int delivered = 0;
        try {
            Set<Subscriber> set = members.get(pub.topic);
            if (set != null) {
                for (Subscriber s : set) {
                    ByteBuf frame = pub.frame(s.rendererSlot());
                    if (frame != null && s.deliver(pub.topic, frame.retainedDuplicate())) {
                        delivered++;
                        stats.recordDeliveryLatency(System.nanoTime() - pub.publishedNanos);
                    }
                }
            }
        } finally {
            pub.shardDone();
        }
        return delivered;
    }
}
