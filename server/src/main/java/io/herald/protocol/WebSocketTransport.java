package io.herald.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.concurrent.TimeUnit;

/**
 * A WebSocket channel as a {@link Transport}: the last handler of its pipeline. Frames enter through
 * {@link #writeEvent} and {@link #write} (not through the pipeline) and are reported taken to the connection once the
 * socket has them; {@link DialectHandler} is its inbound side. Knows nothing of §8: the connection's
 * {@link OutboundBound} decides what is written.
 *
 * <p>The connection usually lives on this channel's loop. After an Engine.IO upgrade it may live on another one
 * (the long-polling session it continues was made there): Netty's channel operations are safe from any thread, and
 * reports hop to the connection's loop.
 */
public final class WebSocketTransport extends ChannelOutboundHandlerAdapter implements Transport {
    private final long closeHandshakeMillis;
    private final ChannelFutureListener eventTaken = f -> report(Outbound.Kind.EVENT, 0);
    private volatile ChannelHandlerContext ctx;
    private final Channel channel;
    private volatile Owner owner;
    /** Volatile: written on the connection's loop, read by {@link DialectHandler} on the channel's. */
    private volatile boolean closeSent;
    /** RFC 7692 permessage-deflate agreed; set before the connection opens. */
    private volatile boolean deflates;

    /**
     * A transport over {@code channel}, before the handler is in its pipeline (the router installs it).
     *
     * @param closeHandshakeMillis RFC 6455 §7.1.1: how long to wait for the client's close frame after ours
     */
    public WebSocketTransport(Channel channel, long closeHandshakeMillis) {
        this.closeHandshakeMillis = closeHandshakeMillis;
        this.channel = channel;
        channel.closeFuture().addListener(f -> {
            Owner o = owner;
            if (o != null) {
                inOwnersLoop(o, () -> o.transportClosed(this));
            }
        });
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    public Channel channel() {
        return channel;
    }

    @Override
    public EventExecutor eventLoop() {
        return channel.eventLoop();
    }

    @Override
    public ByteBufAllocator alloc() {
        return channel.alloc();
    }

    @Override
    public void bind(Owner owner) {
        this.owner = owner;
    }

    @Override
    public boolean isOpen() {
        return channel.isActive() && ctx != null && !closeSent;
    }

    /** The client agreed to permessage-deflate (RFC 7692): events go out compressed. */
    public void deflate() {
        deflates = true;
    }

    @Override
    public boolean deflates() {
        return deflates;
    }

    @Override
    public void writeEvent(String topic, ByteBuf frame) {
        ChannelHandlerContext c = ctx;
        if (c == null) {
            frame.release();
            report(Outbound.Kind.EVENT, 0);
            return;
        }
        if (deflates && !DeflatedFrames.isDeflated(frame)) {
            // a frame of this connection's own (a re-rendered event, a replay): compressed here, for it alone
            ByteBuf plain = frame;
            frame = DeflatedFrames.deflate(c.alloc(), plain);
            plain.release();
        }
        c.write(frame, c.newPromise().addListener(eventTaken)); // the connection flushes (FlushBatcher)
    }

    @Override
    public void write(Outbound reply) {
        ChannelHandlerContext c = ctx;
        Outbound.Kind kind = reply.kind();
        int bytes = reply.bytes();
        if (c == null) {
            reply.release();
            report(kind, bytes);
            return;
        }
        send(c, reply.message(), c.newPromise().addListener((ChannelFutureListener) f -> report(kind, bytes)));
    }

    /**
     * This handler sits next to the socket (after TLS): a pre-encoded frame ({@code ByteBuf}) is written from here,
     * any other message ({@code WebSocketFrame}s: pongs, binary frames) from the pipeline's tail, through the encoder.
     * Both are synchronous on the channel's loop (and queued in order off it), so the order of writes holds.
     */
    private void send(ChannelHandlerContext c, Object msg, ChannelPromise promise) {
        if (msg instanceof ByteBuf) {
            c.write(msg, promise);
        } else {
            channel.write(msg, promise);
        }
    }

    @Override
    public void writeUncounted(Object frame) {
        ChannelHandlerContext c = ctx;
        if (c == null) {
            io.netty.util.ReferenceCountUtil.release(frame);
            return;
        }
        send(c, frame, c.voidPromise());
        c.flush();
    }

    /** Tells the owner, on its loop; nothing is allocated when that is this channel's loop (every event write). */
    private void report(Outbound.Kind kind, int bytes) {
        Owner o = owner;
        if (o == null) {
            return;
        }
        EventExecutor loop = o.eventLoop();
        if (loop.inEventLoop()) {
            o.taken(kind, bytes);
        } else {
            loop.execute(() -> o.taken(kind, bytes));
        }
    }

    private static void inOwnersLoop(Owner o, Runnable r) {
        EventExecutor loop = o.eventLoop();
        if (loop.inEventLoop()) {
            r.run();
        } else {
            loop.execute(r);
        }
    }

    @Override
    public void flush() {
        ChannelHandlerContext c = ctx;
        if (c != null) {
            c.flush();
        }
    }

    @Override
    public boolean pauseReads(boolean paused) {
        channel.config().setAutoRead(!paused);
        return true;
    }

    /** Netty's count of what was written to the socket and not yet taken by it. */
    @Override
    public long pendingBytes() {
        var out = channel.unsafe().outboundBuffer();
        return out == null ? 0 : out.totalPendingWriteBytes();
    }

    /**
     * Starts the closing handshake: our close frame, then TCP close when the client answers (see
     * {@link DialectHandler}) or after the close-handshake time.
     */
    @Override
    public void close(Disconnect why) {
        if (!channel.isActive() || closeSent) {
            return;
        }
        closeSent = true;
        channel.writeAndFlush(new CloseWebSocketFrame(why.code(), why.reason()));
        ScheduledFuture<?> timeout = channel.eventLoop().schedule(
                () -> { channel.close(); }, closeHandshakeMillis, TimeUnit.MILLISECONDS);
        channel.closeFuture().addListener(f -> timeout.cancel(false));
    }

    /** RFC 6455 §7.1.7: our close frame (unless one went out already) is the last thing written, then TCP closes. */
    @Override
    public void fail(Disconnect why) {
        if (!channel.isActive()) {
            return;
        }
        if (closeSent) {
            channel.close();
        } else {
            closeSent = true;
            channel.writeAndFlush(new CloseWebSocketFrame(why.code(), why.reason())).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** A close frame (our answer to the client's) is on its way: no other goes out after it. */
    void markCloseSent() {
        closeSent = true;
    }

    /** True once our close frame went out: a close frame from the client now ends the handshake. */
    boolean closeSent() {
        return closeSent;
    }
}
