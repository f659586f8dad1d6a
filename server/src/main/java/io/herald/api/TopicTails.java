package io.herald.api;

import io.herald.hub.Envelope;
import io.herald.hub.EnvelopeWriter;
import io.herald.hub.FrameRenderer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The admin page's topic tails on this instance: which topics are watched, how many tails are open (at most
 * {@link #MAX_TAILS}), and the hub renderer that gives a tail each event as its §3 envelope JSON. The renderer costs a
 * publication of an unwatched topic one map lookup, and nothing else: the hub renders each slot once per publication.
 */
public final class TopicTails implements FrameRenderer {
    /** Tails open at once on one instance; each holds a subscription and a streaming response. */
    public static final int MAX_TAILS = 16;
    /** An envelope larger than this reaches a tail as a summary: topic, event type, size. */
    static final int MAX_EVENT_BYTES = 8192;

    private final ConcurrentHashMap<String, Integer> watched = new ConcurrentHashMap<>();
    private final AtomicInteger open = new AtomicInteger();

    /** Takes a place for one more tail; false when {@link #MAX_TAILS} are open. Give it back with {@link #release}. */
    boolean tryOpen() {
        while (true) {
            int n = open.get();
            if (n >= MAX_TAILS) {
                return false;
            }
            if (open.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    void release() {
        open.decrementAndGet();
    }

    /** Tails open now. */
    public int openTails() {
        return open.get();
    }

    void watch(String topic) {
        watched.merge(topic, 1, Integer::sum);
    }

    void unwatch(String topic) {
        watched.computeIfPresent(topic, (k, n) -> n == 1 ? null : n - 1);
    }

    @Override
    public ByteBuf render(Envelope envelope, ByteBufAllocator alloc) {
        if (watched.isEmpty() || !watched.containsKey(envelope.topic().name())) {
            return null;
        }
        byte[] json = EnvelopeWriter.toJson(envelope);
        if (json.length > MAX_EVENT_BYTES) {
            json = EnvelopeWriter.summary(envelope, json.length);
        }
        return alloc.buffer(json.length).writeBytes(json);
    }
}
