package io.herald.protocol;

import io.herald.hub.FrameRenderer;
import io.herald.hub.Hub;
import io.herald.metrics.Stats;
import io.herald.protocol.realtime.RealtimeDialect;
import io.herald.testing.EmbeddedConnection;
import io.herald.testing.NoBroker;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.local.LocalIoHandler;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalServerChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Events a connection receives within one event-loop turn leave in one flush at the end of that turn, on a
 * real (local-transport) channel of an I/O event loop.
 */
class FlushBatcherTest {
    final MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, LocalIoHandler.newFactory());
    final List<String> received = new CopyOnWriteArrayList<>();
    final AtomicInteger flushes = new AtomicInteger();
    final Stats stats = new Stats();
    final Connections connections = new Connections(EmbeddedConnection.POLICY.idleTimeout(), EmbeddedConnection.CLOCK);
    final ConnectionCore core = new ConnectionCore(new Hub(List.<FrameRenderer>of(), NoBroker.INTEREST, ByteBufAllocator.DEFAULT, stats), stats, connections, EmbeddedConnection.POLICY);

    @AfterEach
    void stop() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** A connected pair; returns the server side, whose flushes are counted. */
    Channel serverSide() throws Exception {
        LocalAddress address = new LocalAddress("flush-" + UUID.randomUUID());
        CompletableFuture<Channel> accepted = new CompletableFuture<>();
        new ServerBootstrap().group(group).channel(LocalServerChannel.class)
                .childHandler(new ChannelInitializer<LocalChannel>() {
                    @Override
                    protected void initChannel(LocalChannel ch) {
                        ch.pipeline().addLast(new ChannelOutboundHandlerAdapter() {
                            @Override
                            public void flush(ChannelHandlerContext ctx) {
                                flushes.incrementAndGet();
                                ctx.flush();
                            }
                        });
                        accepted.complete(ch);
                    }
                }).bind(address).sync();
        new Bootstrap().group(group).channel(LocalChannel.class)
                .handler(new ChannelInitializer<LocalChannel>() {
                    @Override
                    protected void initChannel(LocalChannel ch) {
                        // The local transport is a byte stream too: decode frames as a client would.
                        ch.pipeline().addLast(new WebSocket13FrameDecoder(false, false, 1 << 20),
                                new SimpleChannelInboundHandler<TextWebSocketFrame>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, TextWebSocketFrame f) {
                                        received.add(f.text());
                                    }
                                });
                    }
                }).connect(address).sync();
        return accepted.get(5, TimeUnit.SECONDS);
    }

    Connection open(Channel ch, boolean registered) throws Exception {
        WebSocketTransport t = new WebSocketTransport(ch, 2_000);
        Connection c = new Connection(t, new RealtimeDialect(EmbeddedConnection.CLOCK),
                EmbeddedConnection.principal("alice", Set.of(), Set.of()), Long.MAX_VALUE, null, core);
        ch.eventLoop().submit(() -> {
            ch.pipeline().addLast(t);
            if (registered) {
                connections.add(c);
            }
        }).get(5, TimeUnit.SECONDS);
        return c;
    }

    void deliverInOneTurn(Channel ch, Connection c, int n) throws Exception {
        ch.eventLoop().submit(() -> {
            for (int i = 0; i < n; i++) {
                c.deliver("share:s1", io.herald.protocol.TextFrames.text(ch.alloc(),
                        ("{\"seq\":" + i + "}").getBytes(StandardCharsets.UTF_8)));
            }
        }).get(5, TimeUnit.SECONDS);
    }

    void awaitReceived(int n) throws InterruptedException {
        for (int i = 0; i < 500 && received.size() < n; i++) {
            Thread.sleep(10);
        }
        assertEquals(n, received.size(), received.toString());
    }

    @Test
    void eventsOfOneTurnLeaveInOneFlushInOrder() throws Exception {
        Channel ch = serverSide();
        Connection c = open(ch, true);
        deliverInOneTurn(ch, c, 50);
        awaitReceived(50);
        assertEquals(1, flushes.get(), "50 events in one turn, one flush");
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            expected.add("{\"seq\":" + i + "}");
        }
        assertEquals(expected, received);
        deliverInOneTurn(ch, c, 1);
        awaitReceived(51);
        assertEquals(2, flushes.get(), "a later turn flushes again: nothing waits for more traffic");
    }

    @Test
    void aLoopWithoutEndOfTurnTasksGetsNoBatcher() {
        io.netty.channel.DefaultEventLoop plain = new io.netty.channel.DefaultEventLoop();
        try {
            org.junit.jupiter.api.Assertions.assertNull(FlushBatcher.forLoop(plain), "events would never be flushed");
            org.junit.jupiter.api.Assertions.assertNotNull(FlushBatcher.forLoop(group.next()));
        } finally {
            plain.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    @Test
    void withoutABatcherEveryEventIsFlushed() throws Exception {
        Channel ch = serverSide();
        Connection c = open(ch, false);
        deliverInOneTurn(ch, c, 50);
        awaitReceived(50);
        assertEquals(50, flushes.get());
    }
}
