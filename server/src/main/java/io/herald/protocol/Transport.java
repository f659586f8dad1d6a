package io.herald.protocol;

import io.netty.buffer.ByteBufAllocator;
import io.netty.util.concurrent.EventExecutor;

/**
 * What carries one {@link Connection}'s bytes (§7): a WebSocket channel ({@link WebSocketTransport}) or an
 * Engine.IO long-polling queue. A transport only moves bytes; every §8 rule (the outbound bound, slow consumers,
 * idle, expiry, rate) is the connection's, written once for both.
 *
 * <p>Called on the connection's loop ({@link Connection#eventLoop()}), which may differ from the transport's own
 * ({@link #eventLoop()}) after an Engine.IO upgrade moved a long-polling session onto a WebSocket that arrived on
 * another loop. A transport reports back to its connection on the connection's loop.
 */
public interface Transport {
    /** What a transport reports to the connection it carries; called on the connection's loop. */
    interface Owner {
        EventExecutor eventLoop();

        /** The client has taken a frame written with {@link #write} (or it was dropped with the transport). */
        void taken(Outbound.Kind kind, int bytes);

        /**
         * The client kept sending while its replies were not taken and the transport could not stop reading it
         * (§8.3): the connection ends as a slow consumer.
         */
        void overrun();

        /** The transport is gone (socket closed, session over); the connection ends with it unless it moved on. */
        void transportClosed(Transport t);
    }

    /** The loop of this transport's I/O. */
    EventExecutor eventLoop();

    ByteBufAllocator alloc();

    /** Attaches the connection it carries; reports go to it from now on. */
    void bind(Owner owner);

    /** {@code websocket} or {@code polling}, as the control API lists it (§12). */
    default String name() {
        return "websocket";
    }

    /** True while frames written can still reach the client. */
    boolean isOpen();

    /**
     * True when the client agreed to RFC 7692 permessage-deflate: event frames are best handed over compressed
     * ({@link DeflatedFrames}); a plain one is compressed on its way out.
     */
    default boolean deflates() {
        return false;
    }

    /**
     * Writes one event frame made by {@link TextFrames} without flushing (the hot path: no wrapper per delivery); the
     * owner hears {@link Owner#taken} with {@link Outbound.Kind#EVENT} once the client has it. Takes ownership.
     */
    void writeEvent(String topic, io.netty.buffer.ByteBuf frame);

    /**
     * Writes one reply without flushing; the owner hears {@link Owner#taken} once the client has it. Takes ownership.
     * A transport that cannot carry it (a WebSocket control frame on long-polling) releases it and reports it taken.
     */
    void write(Outbound reply);

    void flush();

    /**
     * Writes and flushes a frame no connection's bound counts, reported to nobody: a candidate transport's own answers
     * before it carries its connection (Engine.IO's {@code 3probe}, a pong). A transport that cannot carry it
     * releases it. Takes ownership.
     */
    void writeUncounted(Object frame);

    /**
     * §8.3: stops (or resumes) reading the client's input while its replies are not being taken. False when the
     * transport cannot (long-polling has no stream to pause): the connection then ends as a slow consumer.
     */
    boolean pauseReads(boolean paused);

    /** Bytes written or queued for the client and not yet taken by it. */
    long pendingBytes();

    /**
     * Stops carrying its connection, which goes on over another transport (§7 upgrade): returns what the client was
     * not given yet, in order, still counted by the connection's bound, and lets go of the rest (a waiting poll).
     */
    default java.util.List<Outbound> handOver() {
        return java.util.List.of();
    }

    /** Ends the transport with {@code why}: a close frame, or the last packets and a final answer to a poll. */
    void close(Disconnect why);

    /** Ends it now: the stream cannot be trusted (RFC 6455 §7.1.7) or the client would not take a thing. */
    void fail(Disconnect why);
}
