package io.herald.hub;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Renders a publication into the complete WebSocket frame one dialect sends for it. The hub calls it
 * once per publication per dialect; every subscriber of that dialect then gets a {@code retainedDuplicate()}.
 */
public interface FrameRenderer {
    /** The frame to send, or null when this dialect sends nothing for the envelope. */
    ByteBuf render(Envelope envelope, ByteBufAllocator alloc);
}
