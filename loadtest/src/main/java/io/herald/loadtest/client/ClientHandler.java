package io.herald.loadtest.client;

import io.herald.loadtest.EventClock;
import io.herald.loadtest.Topics;
import io.herald.loadtest.report.DeliveryStats;
import io.herald.loadtest.report.ErrorKind;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakeException;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler.ClientHandshakeStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The last handler of a client pipeline, after Netty's {@code WebSocketClientProtocolHandler} (which does the
 * upgrade and answers pings) and {@code WebSocketFrameAggregator}. It subscribes once the upgrade completes, reads
 * each event's {@code seq} and {@code t} with {@link FrameScan}, answers the dialect's control frames, and
 * echoes the server's close frame. It releases every frame it reads, in {@code finally}.
 */
final class ClientHandler extends ChannelInboundHandlerAdapter {
    private final SimulatedClient client;
    private final Dialect dialect;
    private final Topics topics;
    private final DeliveryStats stats;
    /** Where a stalled client's observations go (its latency and losses are not the healthy clients'). */
    private final DeliveryStats stalledStats;
    private final PublishedSequences published;
    private final SessionListener listener;
    private final long pingIntervalMillis;

    private ChannelHandlerContext ctx;
    private int closeCode = 1006; // RFC 6455 §7.1.5: closed without a close frame
    private boolean closeSent;
    private boolean dropped;
    private ScheduledFuture<?> pinger;

    ClientHandler(SimulatedClient client, Dialect dialect, Topics topics, DeliveryStats stats,
                  PublishedSequences published, SessionListener listener, long pingIntervalMillis) {
        this(client, dialect, topics, stats, stats, published, listener, pingIntervalMillis);
    }

    ClientHandler(SimulatedClient client, Dialect dialect, Topics topics, DeliveryStats stats, DeliveryStats stalledStats,
                  PublishedSequences published, SessionListener listener, long pingIntervalMillis) {
        this.client = client;
        this.dialect = dialect;
        this.topics = topics;
        this.stats = stats;
        this.stalledStats = stalledStats;
        this.published = published;
        this.listener = listener;
        this.pingIntervalMillis = pingIntervalMillis;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt == ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
            client.upgraded = true;
            listener.upgraded(client);
            client.resuming = client.epoch != null; // §11: resume from where this client stood
            String subscribe = client.resuming ? dialect.resume(topics, client.topic, client.epoch, client.offset)
                    : dialect.afterUpgrade(topics, client.topic);
            if (subscribe != null) {
                send(subscribe);
            }
            if (dialect.subscribedOnUpgrade()) {
                confirmSubscription();
            }
            if (dialect.sendsWebSocketPings() && pingIntervalMillis > 0) {
                // Spread over the interval so a ramped fleet does not ping in waves.
                long first = ThreadLocalRandom.current().nextLong(pingIntervalMillis) + 1;
                pinger = ctx.executor().scheduleAtFixedRate(() -> ctx.writeAndFlush(new PingWebSocketFrame()),
                        first, pingIntervalMillis, TimeUnit.MILLISECONDS);
            }
        } else if (evt == ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
            listener.failed(client, ErrorKind.HANDSHAKE, "upgrade timed out");
            ctx.close();
        } else {
            super.userEventTriggered(ctx, evt);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof TextWebSocketFrame) {
                onText(((TextWebSocketFrame) msg).content());
            } else if (msg instanceof CloseWebSocketFrame) {
                onClose((CloseWebSocketFrame) msg);
            } else if (msg instanceof BinaryWebSocketFrame) {
                listener.failed(client, ErrorKind.PROTOCOL, "binary frame");
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onText(ByteBuf text) {
        DeliveryStats stats = client.stalled ? stalledStats : this.stats;
        FrameScan.Event event;
        try {
            event = FrameScan.event(text);
        } catch (IllegalArgumentException e) {
            listener.failed(client, ErrorKind.PROTOCOL, e.getMessage());
            return;
        }
        if (event != null) {
            stats.delivered(event.sentAt(), EventClock.now());
            client.onEvent(event.seq(), stats);
            client.advance(FrameScan.tailOffset(text));
            return;
        }
        Inbound what = dialect.classify(text);
        switch (what) {
            case SUBSCRIBED:
                if (!client.subscribed) {
                    if (client.resuming) {
                        client.onResumeAnswered(FrameScan.recovered(text), stats);
                        client.resuming = false;
                    }
                    client.at(FrameScan.epoch(text), FrameScan.offset(text));
                    confirmSubscription();
                }
                break;
            case FORCE_SYNC:
                client.onForceSync(stats);
                client.at(FrameScan.epoch(text), FrameScan.offset(text));
                break;
            case ERROR:
                listener.failed(client, ErrorKind.SERVER_ERROR, text.toString(text.readerIndex(),
                        Math.min(200, text.readableBytes()), StandardCharsets.UTF_8));
                break;
            default:
                String reply = dialect.reply(what);
                if (reply != null) {
                    send(reply);
                }
        }
    }

    private void confirmSubscription() {
        client.onSubscribed(published.lastSent(client.topic));
        listener.subscribed(client);
    }

    /** RFC 6455 §5.5.1: answer the server's close frame with one, then close TCP (or close at once if ours went first). */
    private void onClose(CloseWebSocketFrame frame) {
        int code = frame.statusCode();
        closeCode = code < 0 ? 1005 : code;
        if (closeSent) {
            ctx.close();
            return;
        }
        closeSent = true;
        ctx.writeAndFlush(new CloseWebSocketFrame(true, 0, frame.content().retainedDuplicate()))
                .addListener(ChannelFutureListener.CLOSE);
    }

    private void send(String text) {
        ctx.writeAndFlush(new TextWebSocketFrame(ByteBufUtil.writeUtf8(ctx.alloc(), text)));
    }

    /** Chaos: close TCP without a close frame, like a network that went away. Call on the event loop. */
    void drop() {
        dropped = true;
        ctx.close();
    }

    /** Starts the closing handshake (1000) when upgraded, else closes TCP. Call on the event loop. */
    void closeGracefully() {
        if (client.upgraded && !closeSent && ctx.channel().isActive()) {
            closeSent = true;
            ctx.writeAndFlush(new CloseWebSocketFrame(1000, "load test done"));
        } else {
            ctx.close();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof WebSocketClientHandshakeException) {
            listener.failed(client, ErrorKind.HANDSHAKE, cause.getMessage());
        } else if (cause instanceof IOException) {
            listener.failed(client, ErrorKind.IO, cause.getMessage());
        } else {
            listener.failed(client, ErrorKind.PROTOCOL, String.valueOf(cause));
        }
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (pinger != null) {
            pinger.cancel(false);
        }
        listener.closed(client, closeCode, dropped);
        super.channelInactive(ctx);
    }
}
