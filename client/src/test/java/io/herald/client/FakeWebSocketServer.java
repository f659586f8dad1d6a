package io.herald.client;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A tiny WebSocket server for tests of what Herald cannot be made to do: one that completes the upgrade and then
 * never answers ({@link #silent}), or one that plays a dialect from a script (the channels endpoint, §6, which
 * Herald does not serve yet). It records every text message it receives, and every handshake's request headers.
 */
final class FakeWebSocketServer implements AutoCloseable {
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1,
            new DefaultThreadFactory("fake-ws-server", true), NioIoHandler.newFactory());
    private final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final BlockingQueue<String> received = new LinkedBlockingQueue<>();
    private final BlockingQueue<Handshake> handshakes = new LinkedBlockingQueue<>();
    private final Channel listener;

    /**
     * @param onOpen   frames sent right after each upgrade
     * @param script   the frames answering each received text message (none: empty list)
     */
    private FakeWebSocketServer(int port, String path, List<String> onOpen, Function<String, List<String>> script) {
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        connections.add(ch);
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(65536),
                                new WebSocketServerProtocolHandler(path),
                                new SimpleChannelInboundHandler<TextWebSocketFrame>() {
                                    @Override
                                    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
                                        if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete hc) {
                                            handshakes.add(new Handshake(hc.requestUri(), hc.requestHeaders().get("Authorization"),
                                                    hc.requestHeaders().get("Origin")));
                                            onOpen.forEach(f -> ctx.writeAndFlush(new TextWebSocketFrame(f)));
                                        }
                                        super.userEventTriggered(ctx, evt);
                                    }

                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, TextWebSocketFrame frame) {
                                        String text = frame.text();
                                        received.add(text);
                                        script.apply(text).forEach(f -> ctx.writeAndFlush(new TextWebSocketFrame(f)));
                                    }
                                });
                    }
                });
        this.listener = b.bind("127.0.0.1", port).syncUninterruptibly().channel();
    }

    /** Completes the upgrade on {@code path}, then never says anything (pings go unanswered). */
    static FakeWebSocketServer silent(int port, String path) {
        return new FakeWebSocketServer(port, path, List.of(), text -> List.of());
    }

    static FakeWebSocketServer scripted(int port, String path, List<String> onOpen, Function<String, List<String>> script) {
        return new FakeWebSocketServer(port, path, onOpen, script);
    }

    int port() {
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    /** The next text message a client sent, or null after {@code waitMillis}. */
    String poll(long waitMillis) throws InterruptedException {
        return received.poll(waitMillis, TimeUnit.MILLISECONDS);
    }

    /** What a client's upgrade request carried (null for an absent header). */
    record Handshake(String uri, String authorization, String origin) {
    }

    /** The next upgrade request, or null after {@code waitMillis}. */
    Handshake pollHandshake(long waitMillis) throws InterruptedException {
        return handshakes.poll(waitMillis, TimeUnit.MILLISECONDS);
    }

    /** Stops listening and closes every connection (Netty's server protocol handler sends close 1000 first). */
    @Override
    public void close() {
        listener.close().syncUninterruptibly();
        connections.close().awaitUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
