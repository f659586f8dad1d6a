package io.herald.protocol;

import io.netty.buffer.ByteBuf;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;

/**
 * §11's seam between a replay and live delivery, per topic of one connection. While a resume reads the history (a
 * Redis round trip), live events of the topic are <em>held</em>; when the answer is written, the held events past
 * the replay go out in order, and later live events at or below the seam are dropped once as they arrive (the hub
 * may have queued some for this loop already). So an event published while the replay is read appears exactly once.
 * Offsets only compare within one epoch: an event of another epoch than the seam's (the topic's history was lost and
 * started over) passes, and ends the seam.
 *
 * <p>Holding is bounded: past {@link #MAX_HELD} frames the held events are let go and the resume reports an
 * overflow, for the caller to answer {@code force_sync} instead of a replay. Confined to the connection's loop.
 */
final class Seams {
    static final int MAX_HELD = 1024;

    private final Map<String, Seam> byTopic = new HashMap<>(4);

    /** Where released events go: the connection's delivery. */
    interface Delivery {
        void deliver(long offset, String epoch, ByteBuf frame);
    }

    private static final class Seam {
        /** Events held while the history is read; null once released. */
        ArrayList<Held> held = new ArrayList<>();
        boolean overflowed;
        /** The last offset let go by an overflow. */
        long lost;
        /** Live events of {@link #epoch} at or below this offset are dropped; meaningful once released. */
        long upTo;
        String epoch;
    }

    boolean isEmpty() {
        return byTopic.isEmpty();
    }

    /** Starts holding the live events of {@code topic}. */
    void hold(String topic) {
        Seam s = byTopic.get(topic);
        if (s != null && s.held != null) {
            return; // a second resume of the same topic while the first reads: hold on
        }
        byTopic.put(topic, new Seam());
    }

    /**
     * A live event of a positioned topic: true when taken here (held, or dropped as already accounted for), false
     * when it goes on to the client.
     */
    boolean intercept(String topic, long offset, String epoch, ByteBuf frame) {
        Seam s = byTopic.get(topic);
        if (s == null) {
            return false;
        }
        if (s.held != null) {
            if (s.overflowed || s.held.size() >= MAX_HELD) {
                s.overflowed = true; // the resume will answer force_sync; the client refetches
                s.lost = Math.max(s.lost, offset);
                releaseHeld(s);
                frame.release();
                return true;
            }
            s.held.add(new Held(offset, epoch, frame));
            return true;
        }
        if (epoch != null && s.epoch != null && !epoch.equals(s.epoch)) {
            byTopic.remove(topic); // another epoch: the seam's offsets mean nothing to it
            return false;
        }
        if (offset <= s.upTo) {
            frame.release(); // replayed already, or before the position the client resumed from
            return true;
        }
        byTopic.remove(topic); // past the seam: live from here on
        return false;
    }

    private record Held(long offset, String epoch, ByteBuf frame) {
    }

    /**
     * Forces a resync of {@code topic} while its resume reads: what is held is let go and the resume answers
     * {@code force_sync} ({@link #release} reports a loss). False when no resume of it is reading.
     */
    boolean resyncWhileHolding(String topic) {
        if (!holding(topic)) {
            return false;
        }
        Seam s = byTopic.get(topic);
        s.overflowed = true;
        for (Held h : s.held) {
            s.lost = Math.max(s.lost, h.offset());
        }
        releaseHeld(s);
        return true;
    }

    /**
     * The answer is written up to {@code upTo}: held events past it go to {@code deliver} in the order they came,
     * and later arrivals at or below it are dropped. Returns -1, or when holding overflowed (nothing was delivered)
     * the last offset let go.
     */
    long release(String topic, String epoch, long upTo, Delivery deliver) {
        Seam s = byTopic.get(topic);
        if (s == null) {
            s = new Seam();
            byTopic.put(topic, s);
        }
        long lost = s.overflowed ? s.lost : -1;
        ArrayList<Held> held = s.held;
        s.held = null;
        s.overflowed = false;
        s.upTo = Math.max(upTo, lost);
        s.epoch = epoch;
        if (held != null) {
            for (Held e : held) {
                boolean otherEpoch = e.epoch() != null && epoch != null && !e.epoch().equals(epoch);
                if (!otherEpoch && e.offset() <= upTo) {
                    e.frame().release(); // in the replay, or before the position the client resumed from
                } else {
                    byTopic.remove(topic); // past the seam already
                    deliver.deliver(e.offset(), e.epoch(), e.frame());
                }
            }
        }
        return lost;
    }

    /** Whether a resume of {@code topic} is reading the history now. */
    boolean holding(String topic) {
        Seam s = byTopic.get(topic);
        return s != null && s.held != null;
    }

    /** Forgets {@code topic}'s seam, letting go what it holds. */
    void clear(String topic) {
        Seam s = byTopic.remove(topic);
        if (s != null) {
            releaseHeld(s);
        }
    }

    /** Forgets every seam (the connection left its topics or ended). */
    void clearAll() {
        for (Seam s : byTopic.values()) {
            releaseHeld(s);
        }
        byTopic.clear();
    }

    private static void releaseHeld(Seam s) {
        if (s.held != null) {
            for (Held h : s.held) {
                h.frame().release();
            }
            s.held.clear();
        }
    }
}
