package io.herald.hub;

import io.netty.buffer.ByteBuf;

import java.util.concurrent.atomic.AtomicInteger;

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
    private final AtomicInteger pendingShards;

    Publication(String topic, long offset, String epoch, ByteBuf[] frames, int shards, long publishedNanos) {
        this.topic = topic;
        this.offset = offset;
        this.epoch = epoch;
        this.publishedNanos = publishedNanos;
        this.frames = frames;
        this.pendingShards = new AtomicInteger(shards);
    }

    /** The frame for a renderer slot, or null; owned by this publication (duplicate it to keep it). */
    ByteBuf frame(int slot) {
        return frames[slot];
    }

    void shardDone() {
        if (pendingShards.decrementAndGet() == 0) {
            releaseFrames(frames);
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
