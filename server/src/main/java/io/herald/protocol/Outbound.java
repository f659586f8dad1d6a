package io.herald.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;

/**
 * One frame on its way to a client, typed (§8.3 counts events and replies apart; a long-polling queue holds these,
 * never {@code Object}s): an event frame shared with every subscriber ({@link Event}), a reply made for this client
 * alone ({@link Reply}), or a WebSocket control or binary frame ({@link Control}, which only a WebSocket carries).
 * Owns its buffer until written or released.
 */
public sealed interface Outbound permits Outbound.Text, Outbound.Control {

    /** How the connection counts a frame once the client took it. */
    enum Kind { EVENT, REPLY, FORCE_SYNC }

    Kind kind();

    /** Payload bytes counted against the reply bound (0 for events: they are bounded in frames). */
    int bytes();

    /** The frame as written to a WebSocket channel. */
    Object message();

    /** Releases the frame (it was not written). */
    void release();

    /**
     * An event's text frame made by {@link TextFrames}, a {@code retainedDuplicate} of the buffer every subscriber of
     * the publication shares. The WebSocket writes {@link #frame} as is; long-polling writes {@link #payload()}.
     */
    record Event(String topic, ByteBuf frame) implements Text {
        @Override
        public Kind kind() {
            return Kind.EVENT;
        }

        @Override
        public int bytes() {
            return 0;
        }
    }

    /** A text frame made by {@link TextFrames} for one client: an answer, a pong, a {@code force_sync}. */
    record Reply(ByteBuf frame, Kind kind) implements Text {
        public Reply(ByteBuf frame) {
            this(frame, Kind.REPLY);
        }

        @Override
        public int bytes() {
            return frame.readableBytes();
        }
    }

    /** A WebSocket control or binary frame (a pong to a WebSocket ping, an attachment); WebSocket only. */
    record Control(WebSocketFrame frame) implements Outbound {
        @Override
        public Kind kind() {
            return Kind.REPLY;
        }

        @Override
        public int bytes() {
            return frame.content().readableBytes();
        }

        @Override
        public Object message() {
            return frame;
        }

        @Override
        public void release() {
            frame.release();
        }
    }

    /** A pre-encoded text frame: its wire bytes and, for a transport that is not WebSocket, its payload. */
    sealed interface Text extends Outbound permits Event, Reply {
        ByteBuf frame();

        @Override
        default Object message() {
            return frame();
        }

        @Override
        default void release() {
            frame().release();
        }

        /** The frame's payload, a slice of it (no copy): what long-polling sends (§7). */
        default ByteBuf payload() {
            return TextFrames.payload(frame());
        }
    }
}
