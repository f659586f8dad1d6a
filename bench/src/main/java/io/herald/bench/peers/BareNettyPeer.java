package io.herald.bench.peers;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The ceiling of the fan-out benchmark: a bare Netty WebSocket server with no logic. Clients connect to
 * {@code /ws?topic=<topic>}; {@code POST /api/v1/publish} (Herald's envelope, no auth) encodes each event once
 * into a text frame shaped like Herald's realtime frame, {@code {"type":...,"share_id":...,"data":...}}, and
 * writes a {@code retainedDuplicate()} to every subscriber with a flush per write. No auth, no back-pressure,
 * no heartbeats, no per-loop batching: what Herald costs beyond this is the price of its features.
 *
 * <p>{@code java -cp bench/target/herald-bench.jar io.herald.bench.peers.BareNettyPeer [port [bind]]}
 * (or {@code BARE_PORT}, default 8083).
 */
public final class BareNettyPeer {
    private static final String WS_PATH = "/ws";
    private static final AttributeKey<String> TOPIC = AttributeKey.valueOf("bench.topic");
    private static final JsonFactory JSON = new JsonFactory();

    private final ConcurrentHashMap<String, Set<Channel>> topics = new ConcurrentHashMap<>();

    public static void main(String[] args) throws InterruptedException {
        int port = PeerHttp.port(args, "BARE_PORT", 8083);
        String bind = PeerHttp.bind(args);
        new BareNettyPeer().run(bind, port);
    }

    private void run(String bind, int port) throws InterruptedException {
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        EventLoopGroup acceptor = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("bare-accept"), io);
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(Runtime.getRuntime().availableProcessors(),
                new DefaultThreadFactory("bare-io"), io);
        SubscriberHandler subscribers = new SubscriberHandler();
        PublishHandler publish = new PublishHandler();
        WebSocketServerProtocolConfig ws = WebSocketServerProtocolConfig.newBuilder()
                .websocketPath(WS_PATH)
                .checkStartsWith(true) // the topic rides in the query string
                .allowExtensions(false)
                .build();
        try {
            Channel listener = new ServerBootstrap()
                    .group(acceptor, workers)
                    .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 4096)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(PeerHttp.MAX_BODY),
                                    new WebSocketServerProtocolHandler(ws), subscribers, publish);
                        }
                    })
                    .bind(bind, port).sync().channel();
            System.out.println("bare-netty peer listening on " + bind + ":" + port + " (" + (epoll ? "epoll" : "nio")
                    + "), WebSocket " + WS_PATH + "?topic=T, publish " + PeerHttp.PUBLISH_PATH);
            listener.closeFuture().sync();
        } finally {
            acceptor.shutdownGracefully();
            workers.shutdownGracefully();
        }
    }

    /** Encodes once; each subscriber gets a retained duplicate, written and flushed on its own. */
    private void publish(PeerEvent e) {
        Set<Channel> members = topics.get(e.topic());
        if (members == null || members.isEmpty()) {
            return;
        }
        TextWebSocketFrame frame = new TextWebSocketFrame(realtimeFrame(e));
        try {
            for (Channel ch : members) {
                ch.writeAndFlush(frame.retainedDuplicate(), ch.voidPromise());
            }
        } finally {
            frame.release();
        }
    }

    /** {@code {"type":<event_type>,"share_id":<share_id>,"data":<data>}}, like Herald's §5 frame. */
    static ByteBuf realtimeFrame(PeerEvent e) {
        ByteBuf buf = PooledByteBufAllocator.DEFAULT.ioBuffer(64 + (e.data() == null ? 0 : e.data().length));
        try (JsonGenerator g = JSON.createGenerator((OutputStream) new ByteBufOutputStream(buf), JsonEncoding.UTF8)) {
            g.writeStartObject();
            g.writeStringField("type", e.eventType());
            if (e.shareId() != null) {
                g.writeStringField("share_id", e.shareId());
            }
            if (e.data() != null) {
                g.writeFieldName("data");
                g.writeRawValue(new String(e.data(), StandardCharsets.UTF_8));
            }
            g.writeEndObject();
        } catch (IOException ex) {
            buf.release();
            throw new UncheckedIOException(ex);
        }
        return buf;
    }

    /** Indexes a connection by the topic of its upgrade URL; drops it when it closes; ignores what it sends. */
    @ChannelHandler.Sharable
    private final class SubscriberHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete hs) {
                List<String> topic = new QueryStringDecoder(hs.requestUri()).parameters().get("topic");
                if (topic == null || topic.isEmpty() || topic.get(0).isEmpty()) {
                    ctx.close();
                    return;
                }
                Channel ch = ctx.channel();
                ch.attr(TOPIC).set(topic.get(0));
                // compute, not computeIfAbsent + add: a concurrent last leave may be dropping the set
                topics.compute(topic.get(0), (t, set) -> {
                    Set<Channel> members = set != null ? set : ConcurrentHashMap.newKeySet();
                    members.add(ch);
                    return members;
                });
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof WebSocketFrame) {
                ReferenceCountUtil.release(msg); // the benchmark's clients send nothing worth reading
            } else {
                ctx.fireChannelRead(msg);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            String topic = ctx.channel().attr(TOPIC).get();
            if (topic != null) {
                topics.computeIfPresent(topic, (t, set) -> {
                    set.remove(ctx.channel());
                    return set.isEmpty() ? null : set;
                });
            }
            super.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** {@code POST /api/v1/publish}; every other plain HTTP request gets 404. */
    @ChannelHandler.Sharable
    private final class PublishHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            if (PeerHttp.isPublish(req)) {
                PeerHttp.handlePublish(ctx, req, BareNettyPeer.this::publish);
            } else {
                PeerHttp.respond(ctx, req, HttpResponseStatus.NOT_FOUND, "{\"error\":{\"code\":\"not_found\"}}");
            }
        }
    }
}
