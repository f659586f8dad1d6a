package io.herald.autobahn;

import io.herald.auth.Principal;
import io.herald.hub.Envelope;
import io.herald.hub.FrameRenderer;
import io.herald.hub.Hub;
import io.herald.hub.Topic;
import io.herald.metrics.Stats;
import io.herald.protocol.Connection;
import io.herald.protocol.ConnectionCore;
import io.herald.protocol.ConnectionPolicy;
import io.herald.protocol.Connections;
import io.herald.protocol.Dialect;
import io.herald.protocol.DialectHandler;
import io.herald.protocol.WebSocketTransport;
import io.herald.protocol.Endpoint;
import io.herald.protocol.TextFrames;
import io.herald.testing.NoBroker;
import io.herald.transport.HandlerNames;
import io.herald.transport.ServerTransport;
import io.herald.transport.WebSocketPipeline;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * The test-only echo server the Autobahn|Testsuite fuzzing client runs against (RFC 6455 conformance, issue
 * "connection safety"). It is assembled from Herald's own WebSocket pieces: the decoder settings and pipeline
 * of {@link WebSocketPipeline} (frame codec, UTF-8 validation, aggregation), the {@link DialectHandler} close
 * and ping handling, the back-pressure handler and pre-encoded text frames. Only the limits differ: 16 MiB
 * messages and no command rate for group 9.
 *
 * <p>The Maven plugin calls {@code main(port)} on a thread of its own and interrupts it when done.
 */
public final class AutobahnEchoServer {
    static final int MAX_MESSAGE = 16 * 1024 * 1024;
    static final ConnectionPolicy FUZZING = new ConnectionPolicy(100_000, Duration.ofSeconds(10), Duration.ofMinutes(10),
            Integer.MAX_VALUE / 2, Integer.MAX_VALUE / 2, Integer.MAX_VALUE, Duration.ofSeconds(2));

    private AutobahnEchoServer() {
    }

    /** Echoes text (re-encoded by Herald's frame encoder) and binary messages. */
    static final class EchoDialect implements Dialect {
        @Override
        public Endpoint endpoint() {
            return Endpoint.CHANNELS;
        }

        @Override
        public void onOpen(Connection c) {
        }

        @Override
        public void onText(Connection c, ByteBuf utf8) {
            c.send(TextFrames.text(c.alloc(), ByteBufUtil.getBytes(utf8)));
        }

        @Override
        public void onBinary(Connection c, ByteBuf data) {
            c.send(new BinaryWebSocketFrame(data.retain()));
        }

        @Override
        public ByteBuf forceSync(Topic topic, ByteBufAllocator alloc) {
            return null;
        }

        @Override
        public ByteBuf render(Envelope envelope, ByteBufAllocator alloc) {
            return null;
        }
    }

    /** Upgrades every request, with Herald's decoder settings and pipeline. */
    static final class Upgrade extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final ConnectionCore core;
        private final Dialect echo = new EchoDialect();
        private final Principal anyone = new Principal("autobahn", Instant.MAX, Set.of(), Set.of(), List.of(), Set.of());

        Upgrade(ConnectionCore core) {
            this.core = core;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            WebSocketServerHandshaker hs = new WebSocketServerHandshakerFactory("ws://localhost/", null,
                    WebSocketPipeline.decoderConfig(MAX_MESSAGE)).newHandshaker(req);
            if (hs == null) {
                WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel());
                return;
            }
            hs.handshake(ctx.channel(), req).addListener((ChannelFutureListener) f -> {
                if (!f.isSuccess()) {
                    f.channel().close();
                    return;
                }
                WebSocketTransport t = new WebSocketTransport(f.channel(), 2_000);
                Connection c = new Connection(t, echo, anyone, Long.MAX_VALUE, null, core);
                DialectHandler handler = new DialectHandler(c, t);
                WebSocketPipeline.install(f.channel().pipeline(), t, handler, MAX_MESSAGE);
                handler.open();
            });
        }
    }

    public static void main(String[] args) throws InterruptedException {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 9001;
        Stats stats = new Stats();
        Hub hub = new Hub(List.<FrameRenderer>of(), NoBroker.INTEREST, ByteBufAllocator.DEFAULT, stats);
        ConnectionCore core = new ConnectionCore(hub, stats, new Connections(FUZZING.idleTimeout(), Clock.systemUTC()), FUZZING);
        ServerTransport transport = new ServerTransport(2);
        try {
            transport.bind("0.0.0.0", port, new ChannelInitializer<SocketChannel>() {
                @Override
                protected void initChannel(SocketChannel ch) {
                    ch.pipeline().addLast(HandlerNames.HTTP_ENCODER, new io.netty.handler.codec.http.HttpResponseEncoder());
                    ch.pipeline().addLast(HandlerNames.HTTP_DECODER, new io.netty.handler.codec.http.HttpRequestDecoder());
                    ch.pipeline().addLast(HandlerNames.HTTP_AGGREGATOR, new HttpObjectAggregator(65536));
                    ch.pipeline().addLast(HandlerNames.HTTP_ROUTER, new Upgrade(core));
                }
            }, Duration.ofSeconds(10));
            Thread.currentThread().join(); // until the plugin interrupts this thread
        } finally {
            transport.shutdown(Duration.ofSeconds(2));
        }
    }
}
