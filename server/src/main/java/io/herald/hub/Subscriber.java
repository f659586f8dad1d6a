package io.herald.hub;

import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.EventExecutor;

import java.util.Set;

/**
 * What the hub needs of a connection. Every method is called on {@link #eventLoop()} only, so implementations
 * need no locks.
 */
public interface Subscriber {
    /** The event loop that owns this subscriber; the hub shard of that loop indexes it. */
    EventExecutor eventLoop();

    /** Index of this subscriber's dialect in the renderer list the hub was built with. */
    int rendererSlot();

    /**
     * True when this subscriber takes event frames compressed for permessage-deflate (RFC 7692), as it passes them on
     * unchanged; the hub then hands it the publication's one compressed copy.
     */
    default boolean deflates() {
        return false;
    }

    /** The topic names this subscriber is in; owned and changed by the hub. */
    Set<String> topics();

    /**
     * Takes ownership of one pre-encoded event frame of {@code topic}. Returns false when the frame was
     * dropped (the subscriber then owns the duty to tell its client, §8.3).
     */
    boolean deliver(String topic, ByteBuf frame);

    /**
     * {@link #deliver(String, ByteBuf)} of an event at {@code offset} of its topic's history {@code epoch} (§11); 0 and
     * null without one.
     */
    default boolean deliver(String topic, long offset, String epoch, ByteBuf frame) {
        return deliver(topic, frame);
    }
}
