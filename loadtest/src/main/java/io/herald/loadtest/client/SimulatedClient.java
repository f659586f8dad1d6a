package io.herald.loadtest.client;

import io.herald.loadtest.report.DeliveryStats;
import io.netty.channel.Channel;

/**
 * One simulated client: its topic and its sequence bookkeeping. It outlives its connections (chaos reconnects
 * it); the fields of the current session are touched only by that session's event loop, and a new session
 * starts only after the old channel closed, so no two threads use them at once.
 *
 * <p>Gap rule: within a session, each event's {@code seq} must be the previous one plus one. The first event of a
 * session (or after a {@code force_sync}) sets the baseline; after a confirmed subscription it may skip only the
 * events whose publish had already begun when {@code subscribed} arrived (§3's promise; see
 * {@link PublishedSequences}). A {@code force_sync} announces a gap (§8.3), so the next jump is not counted.
 */
public final class SimulatedClient {
    final int index;
    final int topic;
    String token;
    volatile Channel channel;
    volatile boolean subscribed;
    boolean upgraded;
    boolean holdsPermit;
    long connectStartedNanos;
    int failures;
    int lostEpoch;
    int recoveredEpoch;
    /** {@code --stalled}: one of the clients that stop reading for a while (§8.3); counted apart. */
    volatile boolean stalled;
    /** {@code force_sync} frames this client read (its event loop writes, the command reads at the end). */
    volatile int forceSyncs;
    /** The server's close code once closed (1006 without a close frame), 0 while open. */
    volatile int closeCode;

    /** §11: where this client stands in its topic's history (null epoch: nowhere yet, or no history). */
    String epoch;
    long offset = -1;
    /** This session's subscribe resumed from a position. */
    boolean resuming;
    private long lastSeq;
    private boolean awaitingFirst;
    private boolean resync;
    private long floor;

    SimulatedClient(int index, int topic) {
        this.index = index;
        this.topic = topic;
    }

    public int index() {
        return index;
    }

    public int topic() {
        return topic;
    }

    public boolean isSubscribed() {
        return subscribed;
    }

    public boolean isStalled() {
        return stalled;
    }

    public int forceSyncs() {
        return forceSyncs;
    }

    public int closeCode() {
        return closeCode;
    }

    /** A new connection: until its subscription is confirmed, nothing is known about which events it must see. */
    void startSession() {
        upgraded = false;
        subscribed = false;
        awaitingFirst = true;
        resync = true;
    }

    /** {@code subscribed} arrived; {@code lastSent} is the publisher's sequence for this topic right now. */
    void onSubscribed(long lastSent) {
        subscribed = true;
        if (awaitingFirst) {
            resync = false;
            floor = lastSent;
        }
    }

    /**
     * §11: the answer to a resume named the position and whether the history covered the gap. Recovered, the client
     * expects the very next sequence number after the last one it saw: a gap across the outage is then counted.
     */
    void onResumeAnswered(boolean recovered, DeliveryStats stats) {
        if (recovered) {
            stats.recovered();
            awaitingFirst = lastSeq == 0;
        } else {
            stats.notRecovered();
        }
    }

    /** §11: the position a {@code subscribed} or {@code force_sync} names. */
    void at(String epoch, long offset) {
        if (epoch != null && offset >= 0) {
            this.epoch = epoch;
            this.offset = offset;
        }
    }

    /** §11: an event's offset. */
    void advance(long eventOffset) {
        if (eventOffset > offset && epoch != null) {
            offset = eventOffset;
        }
    }

    void onForceSync(DeliveryStats stats) {
        stats.forceSync();
        forceSyncs++;
        awaitingFirst = true;
        resync = true;
    }

    void onEvent(long seq, DeliveryStats stats) {
        if (awaitingFirst) {
            awaitingFirst = false;
            if (!resync && seq > floor + 1) {
                stats.gap(seq - floor - 1);
            }
            resync = false;
            lastSeq = seq;
        } else if (seq == lastSeq + 1) {
            lastSeq = seq;
        } else if (seq > lastSeq + 1) {
            stats.gap(seq - lastSeq - 1);
            lastSeq = seq;
        } else if (seq == lastSeq) {
            stats.duplicate();
        } else {
            stats.reordered();
        }
    }
}
