package io.herald.client;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler.ClientHandshakeStateEvent;
import io.netty.util.concurrent.Future;

import java.util.concurrent.TimeUnit;

/**
 * The client side of §8.1: once the upgrade completes, sends the dialect's JSON ping every {@code interval}
 * (and one at once when {@code probe} is set, for dialects whose server does not greet);
 * when a ping stays without a {@link ServerMessage.Pong} for {@code timeout} (measured from the oldest unanswered
 * ping), fires {@link #TIMEOUT} so the connection handler drops the connection and the client reconnects.
 *
 * <p>Sits after {@link ServerFrameDecoder} in {@link ClientPipeline}; passes every message on, pongs included.
 * Holds no buffers; its timers end in {@code channelInactive}/{@code handlerRemoved}.
 */
final class HeartbeatHandler extends ChannelInboundHandlerAdapter {
    /** Fired (as a user event) when a pong is late. */
    static final Object TIMEOUT = new Object() {
        @Override
        public String toString() {
            return "HeartbeatTimeout";
        }
    };

    /** What the heartbeat reports to the client's counters. */
    interface Counter {
        void pingSent();

        void pongReceived();
    }

    private final String ping;
    private final long intervalNanos;
    private final long timeoutNanos;
    private final Counter counter;
    private final boolean probe;
    private Future<?> nextPing;
    private Future<?> pongDeadline;
    private boolean stopped;

    HeartbeatHandler(String ping, long intervalNanos, long timeoutNanos, boolean probe, Counter counter) {
        this.ping = ping;
        this.intervalNanos = intervalNanos;
        this.timeoutNanos = timeoutNanos;
        this.probe = probe;
        this.counter = counter;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt == ClientHandshakeStateEvent.HANDSHAKE_COMPLETE && nextPing == null && !stopped) {
            if (probe) {
                ping(ctx); // sends now and schedules the next
            } else {
                schedulePing(ctx);
            }
        }
        super.userEventTriggered(ctx, evt);
    }

    private void schedulePing(ChannelHandlerContext ctx) {
        nextPing = ctx.executor().schedule(() -> ping(ctx), intervalNanos, TimeUnit.NANOSECONDS);
    }

    private void ping(ChannelHandlerContext ctx) {
        if (stopped || !ctx.channel().isActive()) {
            return;
        }
        ctx.writeAndFlush(new TextWebSocketFrame(ping));
        counter.pingSent();
        if (pongDeadline == null) {
            pongDeadline = ctx.executor().schedule(() -> timedOut(ctx), timeoutNanos, TimeUnit.NANOSECONDS);
        }
        schedulePing(ctx);
    }

    private void timedOut(ChannelHandlerContext ctx) {
        pongDeadline = null;
        if (stopped) {
            return;
        }
        stop();
        ctx.fireUserEventTriggered(TIMEOUT);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ServerMessage.Pong) {
            counter.pongReceived();
            if (pongDeadline != null) {
                pongDeadline.cancel(false);
                pongDeadline = null;
            }
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        stop();
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        stop();
    }

    private void stop() {
        stopped = true;
        if (nextPing != null) {
            nextPing.cancel(false);
            nextPing = null;
        }
        if (pongDeadline != null) {
            pongDeadline.cancel(false);
            pongDeadline = null;
        }
    }
}
