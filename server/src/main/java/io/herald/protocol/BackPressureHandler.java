package io.herald.protocol;

import io.herald.metrics.Stats;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * §8.3 back-pressure, the last handler of a WebSocket pipeline. Event frames enter through
 * {@link #writeEvent} (not through the pipeline) and are counted from the moment they are written until
 * the socket has taken them. Once {@code sendBuffer} are outstanding, the event at hand and every later one
 * is dropped and released here; the connection becomes a slow consumer: it is sent one {@code force_sync}
 * per topic whose events it lost, then closed 4408 once those are written, or after the grace period.
 *
 * <p>Replies (answers, pongs, force_syncs, Engine.IO packets) enter through {@link #writeReply} and are counted
 * too, in frames and in bytes, since they are memory of this connection alone (§8.3 "the bound covers
 * everything"): while replies hold {@link #REPLY_BYTES} or more, or events and replies together fill the send
 * buffer, the channel stops reading, so a client that keeps sending and never reads cannot make Herald queue
 * more; reading resumes once the socket drained half of it. Memory for a stalled connection is bounded by
 * {@code sendBuffer} frames, each event a duplicate of a buffer shared with every other subscriber, plus
 * {@link #REPLY_BYTES} of replies and what one read can ask for. Confined to the channel's event loop.
 */
public final class BackPressureHandler extends ChannelOutboundHandlerAdapter {

    /** What the slow-consumer procedure needs from the connection. */
    public interface SlowConsumer {
        /** The dialect's {@code force_sync} frame for a topic whose events were lost, or null for none. */
        ByteBuf forceSyncFrame(String topic);

        /** Closes 4408 (§8.3); {@code now} when the grace period ran out. */
        void closeSlowConsumer(boolean now);
    }

    /** §8.3: reply bytes written and not yet taken by the socket at which the connection stops reading. */
    public static final int REPLY_BYTES = 64 * 1024;

    private final int limit;
    private final long graceMillis;
    private final Stats stats;
    private final SlowConsumer consumer;
    private final ChannelFutureListener eventWritten = this::eventWritten;
    private ChannelHandlerContext ctx;
    private int outstanding;
    private int replyBytes;
    private boolean readsPaused;
    private boolean slow;
    private boolean closing;
    private int forceSyncsOutstanding;
    private Set<String> lost;
    private ScheduledFuture<?> grace;

    public BackPressureHandler(ConnectionPolicy policy, Stats stats, SlowConsumer consumer) {
        this.limit = policy.sendBuffer();
        this.graceMillis = policy.slowConsumerGrace().toMillis();
        this.stats = stats;
        this.consumer = consumer;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancelGrace();
    }

    /** Event frames written and not yet taken by the socket. */
    public int outstanding() {
        return outstanding;
    }

    public boolean isSlowConsumer() {
        return slow;
    }

    /**
     * Writes (without flushing) one event frame of {@code topic}, or drops it (§8.3). Takes ownership of
     * {@code frame}.
     *
     * @return true when written, false when dropped
     */
    public boolean writeEvent(String topic, ByteBuf frame) {
        if (slow || outstanding >= limit || ctx == null) {
            frame.release();
            stats.countDropped(1);
            if (ctx != null) {
                lost(topic);
            }
            return false;
        }
        outstanding++;
        ctx.write(frame, ctx.newPromise().addListener(eventWritten)); // the caller flushes (FlushBatcher)
        return true;
    }

    private void eventWritten(ChannelFuture f) {
        outstanding--;
        resumeReadsIfDrained();
    }

    /**
     * Writes and flushes one reply or control frame ({@code ByteBuf} made by {@link TextFrames}, or a
     * {@code WebSocketFrame}) of {@code bytes} payload bytes, counted until the socket took it; pauses reading
     * when replies pile up (§8.3). Takes ownership of {@code msg}.
     */
    public void writeReply(Object msg, int bytes) {
        if (ctx == null) {
            io.netty.util.ReferenceCountUtil.release(msg);
            return;
        }
        outstanding++;
        replyBytes += bytes;
        ctx.writeAndFlush(msg, ctx.newPromise().addListener((ChannelFutureListener) f -> {
            outstanding--;
            replyBytes -= bytes;
            resumeReadsIfDrained();
        }));
        if (!readsPaused && (replyBytes >= REPLY_BYTES || outstanding >= limit)) {
            readsPaused = true;
            ctx.channel().config().setAutoRead(false);
        }
    }

    /** Reply bytes written and not yet taken by the socket. */
    public int replyBytes() {
        return replyBytes;
    }

    /** True while the connection's reads are paused because its replies are not being taken (§8.3). */
    public boolean readsPaused() {
        return readsPaused;
    }

    private void resumeReadsIfDrained() {
        if (readsPaused && replyBytes <= REPLY_BYTES / 2 && outstanding <= limit / 2) {
            readsPaused = false;
            ctx.channel().config().setAutoRead(true);
        }
    }

    private void lost(String topic) {
        if (!slow) {
            slow = true;
            lost = new HashSet<>();
            stats.countSlowConsumerClose();
            grace = ctx.executor().schedule(() -> closeNow(), graceMillis, TimeUnit.MILLISECONDS);
        }
        if (!closing && lost.add(topic)) {
            ByteBuf forceSync = consumer.forceSyncFrame(topic);
            if (forceSync != null) {
                forceSyncsOutstanding++;
                // Slow path, at most once per lost topic: no listener kept on every connection for it.
                ctx.writeAndFlush(forceSync, ctx.newPromise().addListener((ChannelFutureListener) this::forceSyncWritten));
                return;
            }
        }
        closeWhenForceSyncsWritten();
    }

    private void forceSyncWritten(ChannelFuture f) {
        forceSyncsOutstanding--;
        closeWhenForceSyncsWritten();
    }

    private void closeWhenForceSyncsWritten() {
        if (slow && !closing && forceSyncsOutstanding == 0) {
            closing = true;
            // A later task: this may run inside the hub's delivery loop, which must not see the
            // connection leave its subscriber set mid-iteration.
            ctx.executor().execute(() -> consumer.closeSlowConsumer(false));
        }
    }

    private void closeNow() {
        closing = true;
        consumer.closeSlowConsumer(true);
    }

    private void cancelGrace() {
        if (grace != null) {
            grace.cancel(false);
            grace = null;
        }
    }
}
