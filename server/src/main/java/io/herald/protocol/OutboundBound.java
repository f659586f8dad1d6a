package io.herald.protocol;

import io.herald.metrics.Stats;
import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * §8.3 for one connection, whatever its transport: what it has written and the client has not taken, counted in
 * frames and in bytes, and what happens past the bound. Written once; the transport only reports what was taken.
 *
 * <ul>
 *   <li>Events: once {@code sendBuffer} frames are outstanding, the event at hand and every later one is dropped and
 *   released here; the connection becomes a slow consumer: one {@code force_sync} per topic whose events it lost,
 *   then it closes 4408 once those were taken, or after the grace period.</li>
 *   <li>Replies (answers, pongs, {@code force_sync}, Engine.IO packets) are never dropped, but they are memory of this
 *   connection alone: while replies hold {@link #REPLY_BYTES} or more, or events and replies together fill the send
 *   buffer, the transport stops reading the client (a client that keeps asking and never reads cannot make Herald
 *   queue more); reading resumes once half of it was taken. A transport that cannot stop reading (long-polling)
 *   ends the connection as a slow consumer instead.</li>
 * </ul>
 * A stalled connection thus holds at most {@code sendBuffer} frames, each event a duplicate of a buffer shared with
 * every other subscriber, plus {@link #REPLY_BYTES} of replies and what one read can ask for. Confined to the
 * connection's loop.
 */
public final class OutboundBound {

    /** What the slow-consumer procedure needs from the connection. */
    public interface SlowConsumer {
        /** The dialect's {@code force_sync} frame for a topic whose events were lost, or null for none. */
        ByteBuf forceSyncFrame(String topic);

        /** Closes 4408 (§8.3); {@code now} when the grace period ran out or the transport cannot wait. */
        void closeSlowConsumer(boolean now);
    }

    /** §8.3: reply bytes written and not yet taken at which the connection stops reading. */
    public static final int REPLY_BYTES = 64 * 1024;

    private final int limit;
    private final long graceMillis;
    private final Stats stats;
    private final SlowConsumer consumer;
    private final EventExecutor loop;
    private int outstanding;
    private int replyBytes;
    private boolean readsPaused;
    private boolean slow;
    private boolean closing;
    private int forceSyncsOutstanding;
    private Set<String> lost;
    private ScheduledFuture<?> grace;

    public OutboundBound(ConnectionPolicy policy, Stats stats, SlowConsumer consumer, EventExecutor loop) {
        this.limit = policy.sendBuffer();
        this.graceMillis = policy.slowConsumerGrace().toMillis();
        this.stats = stats;
        this.consumer = consumer;
        this.loop = loop;
    }

    /** Frames (events and replies) written and not yet taken. */
    public int outstanding() {
        return outstanding;
    }

    /** Reply bytes written and not yet taken. */
    public int replyBytes() {
        return replyBytes;
    }

    public boolean isSlowConsumer() {
        return slow;
    }

    /** True while the transport's reads are paused because replies are not being taken. */
    public boolean readsPaused() {
        return readsPaused;
    }

    /**
     * Writes (without flushing) one event frame of {@code topic}, or drops it. Takes ownership of {@code frame}.
     *
     * @return true when written, false when dropped
     */
    public boolean event(Transport t, String topic, ByteBuf frame) {
        if (slow || outstanding >= limit) {
            frame.release();
            stats.countDropped(1);
            lost(t, topic);
            return false;
        }
        outstanding++;
        t.writeEvent(topic, frame);
        return true;
    }

    /** Writes and flushes one reply, counted until taken; pauses reading when replies pile up. Takes ownership. */
    public void reply(Transport t, Outbound reply) {
        writeCounted(t, reply);
        if (!readsPaused && (replyBytes >= REPLY_BYTES || outstanding >= limit)) {
            readsPaused = true;
            if (!t.pauseReads(true)) {
                overrun();
            }
        }
    }

    /** Writes and flushes {@code reply}, counted in frames and bytes until the transport reports it taken. */
    private void writeCounted(Transport t, Outbound reply) {
        outstanding++;
        replyBytes += reply.bytes();
        t.write(reply);
        t.flush();
    }

    /**
     * The client asks and does not take the answers, and its transport cannot stop reading it. What is queued stays
     * queued (no event is lost silently, §10); the connection ends as a slow consumer.
     */
    public void overrun() {
        if (!closing) {
            closing = true;
            stats.countSlowConsumerClose();
            consumer.closeSlowConsumer(false);
        }
    }

    /** The transport's report: the client took one frame of {@code kind} ({@code bytes} for replies). */
    public void taken(Transport t, Outbound.Kind kind, int bytes) {
        outstanding--;
        switch (kind) {
            case REPLY -> replyBytes -= bytes;
            case FORCE_SYNC -> {
                replyBytes -= bytes;
                forceSyncsOutstanding--;
                closeWhenForceSyncsTaken();
            }
            default -> {
            }
        }
        if (readsPaused && replyBytes <= REPLY_BYTES / 2 && outstanding <= limit / 2) {
            readsPaused = false;
            t.pauseReads(false);
        }
    }

    private void lost(Transport t, String topic) {
        if (!slow) {
            slow = true;
            lost = new HashSet<>();
            if (!closing) {
                stats.countSlowConsumerClose();
            }
            grace = loop.schedule(this::closeNow, graceMillis, TimeUnit.MILLISECONDS);
        }
        if (!closing && lost.add(topic)) {
            ByteBuf forceSync = consumer.forceSyncFrame(topic);
            if (forceSync != null) {
                forceSyncsOutstanding++;
                writeCounted(t, new Outbound.Reply(forceSync, Outbound.Kind.FORCE_SYNC));
                return;
            }
        }
        closeWhenForceSyncsTaken();
    }

    private void closeWhenForceSyncsTaken() {
        if (slow && !closing && forceSyncsOutstanding == 0) {
            closing = true;
            // A later task: this may run inside the hub's delivery loop, which must not see the
            // connection leave its subscriber set mid-iteration.
            loop.execute(() -> consumer.closeSlowConsumer(false));
        }
    }

    private void closeNow() {
        grace = null;
        closing = true;
        consumer.closeSlowConsumer(true);
    }

    /** The connection is gone: no timer outlives it. */
    public void cancel() {
        if (grace != null) {
            grace.cancel(false);
            grace = null;
        }
    }
}
