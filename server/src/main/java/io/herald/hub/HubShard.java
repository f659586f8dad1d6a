package io.herald.hub;

import io.herald.metrics.Stats;
import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.EventExecutor;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;

/**
 * The subscriptions of one event loop's connections. Touched only on that loop: no locks, and a
 * publication costs one task here however many of its subscribers this loop holds.
 */
final class HubShard {
    final EventExecutor loop;
    /**
     * Topic name to its subscribers on this loop: the {@link Subscriber} itself while it is the only one (the
     * usual case for {@code user:} and {@code device:} topics, and it saves a {@code HashSet} of about
     * 180 bytes per connection), else a {@link Many}. A {@code Many} is not turned back into a single
     * subscriber when it shrinks; it goes when it is empty.
     */
    private final Map<String, Object> members = new HashMap<>();

    /** Two or more subscribers of one topic. */
    private static final class Many extends HashSet<Subscriber> {
    }

    HubShard(EventExecutor loop) {
        this.loop = loop;
    }

    /** Adds; returns true when {@code s} is this shard's first subscriber of the topic. */
    boolean add(String topic, Subscriber s) {
        Object m = members.get(topic);
        if (m == null) {
            members.put(topic, s);
            return true;
        }
        if (m instanceof Many many) {
            many.add(s);
        } else if (!m.equals(s)) {
            Many many = new Many();
            many.add((Subscriber) m);
            many.add(s);
            members.put(topic, many);
        }
        return false;
    }

    /** Removes; returns true when the topic has no subscriber left on this shard. */
    boolean remove(String topic, Subscriber s) {
        Object m = members.get(topic);
        if (m == null) {
            return false;
        }
        if (m instanceof Many many) {
            if (!many.remove(s)) {
                return false;
            }
            if (many.isEmpty()) {
                members.remove(topic);
                return true;
            }
            return false;
        }
        if (!m.equals(s)) {
            return false;
        }
        members.remove(topic);
        return true;
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
            Object m = members.get(pub.topic);
            if (m instanceof Many many) {
                for (Subscriber s : many) {
                    delivered += deliverTo(s, pub, stats);
                }
            } else if (m != null) {
                delivered = deliverTo((Subscriber) m, pub, stats);
            }
        } finally {
            pub.shardDone();
        }
        return delivered;
    }

    /**
     * Runs on {@link #loop}: hands the publication's frame to every subscriber of any of {@code topics} that is in none
     * of {@code except}, once each however many of those topics it holds (§12 Socket.IO rooms).
     */
    int deliverRooms(Publication pub, String[] topics, String[] except, Stats stats) {
        int delivered = 0;
        try {
            java.util.Set<Subscriber> skip = null;
            for (String e : except) {
                skip = collect(members.get(e), skip);
            }
            java.util.Set<Subscriber> seen = topics.length > 1 ? new java.util.HashSet<>() : null;
            for (String topic : topics) {
                Object m = members.get(topic);
                Iterable<Subscriber> subs = m instanceof Many many ? many : m != null ? List.of((Subscriber) m) : List.of();
                for (Subscriber s : subs) {
                    if ((skip == null || !skip.contains(s)) && (seen == null || seen.add(s))) {
                        delivered += deliverTo(s, topic, pub, stats);
                    }
                }
            }
        } finally {
            pub.shardDone();
        }
        return delivered;
    }

    private static java.util.Set<Subscriber> collect(Object m, java.util.Set<Subscriber> into) {
        if (m == null) {
            return into;
        }
        java.util.Set<Subscriber> out = into == null ? new java.util.HashSet<>() : into;
        if (m instanceof Many many) {
            out.addAll(many);
        } else {
            out.add((Subscriber) m);
        }
        return out;
    }

    private static int deliverTo(Subscriber s, Publication pub, Stats stats) {
        return deliverTo(s, pub.topic, pub, stats);
    }

    private static int deliverTo(Subscriber s, String topic, Publication pub, Stats stats) {
        // RFC 7692: a subscriber that deflates gets the one compressed copy, every other the plain frame
        ByteBuf frame = s.deflates() ? pub.deflated(s.rendererSlot()) : pub.frame(s.rendererSlot());
        if (frame != null && s.deliver(topic, pub.offset, pub.epoch, frame.retainedDuplicate())) {
            stats.recordDeliveryLatency(System.nanoTime() - pub.publishedNanos);
            return 1;
        }
        return 0;
    }
}
