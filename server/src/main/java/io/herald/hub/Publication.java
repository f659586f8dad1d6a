package io.herald.hub;

import io.netty.buffer.ByteBuf;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * One event on its way to the shards: the frame of each dialect, encoded once. Each shard task hands
 * subscribers {@code retainedDuplicate()}s; the last shard to finish releases the originals.
 */
final class Publication {
    final String topic;
    /** §11: the event's offset in its topic, or 0. */
    final long offset;
    /** §11: the epoch of {@link #offset}, or null. */
    final String epoch;
    /** {@link System#nanoTime()} when the hub took the event, for the delivery-latency histogram. */
    final long publishedNanos;
    private final ByteBuf[] frames;
    /** RFC 7692: each frame compressed, made by the first subscriber that wants it (under {@code this}). */
    private final AtomicReferenceArray<ByteBuf> deflated;
    private final AtomicInteger pendingShards;

    Publication(String topic, long offset, String epoch, ByteBuf[] frames, int shards, long publishedNanos) {
        this.topic = topic;
        this.offset = offset;
        this.epoch = epoch;
        this.publishedNanos = publishedNanos;
        this.frames = frames;
        this.deflated = new AtomicReferenceArray<>(frames.length);
        this.pendingShards = new AtomicInteger(shards);
    }

    /** The frame for a renderer slot, or null; owned by this publication (duplicate it to keep it). */
    ByteBuf frame(int slot) {
        return frames[slot];
    }

    /**
     * The frame for a renderer slot compressed for permessage-deflate ({@link io.herald.protocol.DeflatedFrames}), or
     * null: made once, by whichever shard asks first, and shared like {@link #frame} (duplicate it to keep it). A
     * volatile read per subscriber; the lock only while it is being made.
     */
    ByteBuf deflated(int slot) {
        ByteBuf d = deflated.get(slot);
        if (d != null || frames[slot] == null) {
            return d;
        }
        synchronized (this) {
            d = deflated.get(slot);
            if (d == null) {
                d = io.herald.protocol.DeflatedFrames.deflate(frames[slot].alloc(), frames[slot]);
                deflated.set(slot, d);
            }
            return d;
        }
    }

    void shardDone() {
        if (pendingShards.decrementAndGet() == 0) {
            releaseFrames(frames);
            for (int i = 0; i < deflated.length(); i++) {
                ByteBuf d = deflated.getAndSet(i, null);
                if (d != null) {
                    d.release();
                }
            }
        }
    }

    static void releaseFrames(ByteBuf[] frames) {
        for (ByteBuf f : frames) {
            if (f != null) {
                f.release();
            }
        }
    }
}
