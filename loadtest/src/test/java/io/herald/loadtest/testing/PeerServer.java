package io.herald.loadtest.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in for the peer servers the {@code raw} and {@code socketio} dialects talk to, small enough to read:
 * {@code /ws?topic=T} (raw: the upgrade joins room T) and {@code /socket.io/?EIO=4&transport=websocket&topic=T}
 * (OPEN, then CONNECT {@code 40} joins room T), and an unauthenticated {@code POST /api/v1/publish} taking Herald's
 * envelope or batch and sending each event to its room, in order. Loopback only; tests use it.
 */
public final class PeerServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("peer", true),
            NioIoHandler.newFactory());
    private final Map<String, ChannelGroup> rooms = new ConcurrentHashMap<>();
    private final AtomicInteger authorizationHeaders = new AtomicInteger();
    private final Channel listener;

    public PeerServer() throws InterruptedException {
        listener = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(8 << 20), new Http());
                    }
                }).bind("127.0.0.1", 0).sync().channel();
    }

    public int port() {
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    /** Publish requests that carried an {@code Authorization} header. */
    public int authorizationHeaders() {
        return authorizationHeaders.get();
    }

    private ChannelGroup room(String topic) {
        return rooms.computeIfAbsent(topic, t -> new DefaultChannelGroup(GlobalEventExecutor.INSTANCE));
    }

    private final class Http extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) throws Exception {
            QueryStringDecoder q = new QueryStringDecoder(req.uri());
            if (req.method() == HttpMethod.POST && q.path().equals("/api/v1/publish")) {
                publish(ctx, req);
                return;
            }
            boolean socketIo = q.path().equals("/socket.io/");
            List<String> topic = q.parameters().get("topic");
            if ((!socketIo && !q.path().equals("/ws")) || topic == null) {
                respond(ctx, HttpResponseStatus.NOT_FOUND, "");
                return;
            }
            WebSocketServerHandshaker hs = new WebSocketServerHandshakerFactory("ws://peer" + req.uri(), null, false)
                    .newHandshaker(req);
            Channel ch = ctx.channel();
            ctx.pipeline().replace(this, "ws", new Ws(hs, topic.get(0), socketIo));
            hs.handshake(ch, req).addListener(f -> {
                if (!socketIo) {
                    room(topic.get(0)).add(ch);
                } else {
                    ch.writeAndFlush(new TextWebSocketFrame(
                            "0{\"sid\":\"s\",\"upgrades\":[],\"pingInterval\":25000,\"pingTimeout\":20000,\"maxPayload\":1000000}"));
                    ch.writeAndFlush(new TextWebSocketFrame("2")); // a ping, which the client must answer
                }
            });
        }

        private void publish(ChannelHandlerContext ctx, FullHttpRequest req) throws Exception {
            if (req.headers().contains(HttpHeaderNames.AUTHORIZATION)) {
                authorizationHeaders.incrementAndGet();
            }
            JsonNode body = JSON.readTree(ByteBufUtil.getBytes(req.content()));
            JsonNode events = body.has("events") ? body.get("events") : JSON.createArrayNode().add(body);
            for (JsonNode e : events) {
                ChannelGroup room = rooms.get(e.get("topic").asText());
                if (room == null) {
                    continue;
                }
                String type = e.get("event_type").asText();
                String data = JSON.writeValueAsString(e.get("data"));
                String raw = "{\"type\":\"" + type + "\",\"data\":" + data + "}";
                String sio = "42[\"" + type + "\"," + data + "]";
                for (Channel ch : room) {
                    boolean socketIo = ch.pipeline().get(Ws.class).socketIo;
                    ch.writeAndFlush(new TextWebSocketFrame(socketIo ? sio : raw));
                }
            }
            respond(ctx, HttpResponseStatus.ACCEPTED, "{\"accepted\":" + events.size() + "}");
        }
    }

    private final class Ws extends SimpleChannelInboundHandler<WebSocketFrame> {
        final WebSocketServerHandshaker hs;
        final String topic;
        final boolean socketIo;

        Ws(WebSocketServerHandshaker hs, String topic, boolean socketIo) {
            this.hs = hs;
            this.topic = topic;
            this.socketIo = socketIo;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
            if (frame instanceof CloseWebSocketFrame) {
                hs.close(ctx.channel(), (CloseWebSocketFrame) frame.retain());
            } else if (frame instanceof TextWebSocketFrame && socketIo
                    && ((TextWebSocketFrame) frame).text().equals("40")) {
                room(topic).add(ctx.channel());
                ctx.writeAndFlush(new TextWebSocketFrame("40{\"sid\":\"x\"}"));
            }
        }
    }

    private static void respond(ChannelHandlerContext ctx, HttpResponseStatus status, String body) {
        ByteBuf content = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
        r.headers().set(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
        ctx.writeAndFlush(r).addListener(status == HttpResponseStatus.ACCEPTED
                ? ChannelFutureListener.CLOSE_ON_FAILURE : ChannelFutureListener.CLOSE);
    }

    @Override
    public void close() {
        listener.close().awaitUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }
}
