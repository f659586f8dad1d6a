package io.herald.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakerFactory;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A real WebSocket client for end-to-end tests, on Netty's client handshaker over loopback TCP. It records
 * every text message and the close code the server sent, and answers the server's close frame.
 */
public final class WsTestClient implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final EventLoopGroup GROUP = new MultiThreadIoEventLoopGroup(2,
            new DefaultThreadFactory("ws-test-client", true), NioIoHandler.newFactory());
    public static final Duration WAIT = Duration.ofSeconds(10);

    /** The server's close frame, or code 1006 when TCP closed without one (RFC 6455 §7.1.5). */
    public record Closed(int code, String reason) {
    }

    private final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
    private final CompletableFuture<Closed> closed = new CompletableFuture<>();
    private final CompletableFuture<Void> handshake = new CompletableFuture<>();
    private volatile int httpStatus;
    private Channel channel;

    private WsTestClient() {
    }

    public static WsTestClient connect(String url) {
        return connect(url, new DefaultHttpHeaders());
    }

    /** Connects and waits for the handshake; throws when it fails. */
    public static WsTestClient connect(String url, HttpHeaders headers) {
        WsTestClient c = start(url, headers);
        c.handshake.orTimeout(WAIT.toMillis(), TimeUnit.MILLISECONDS).join();
        return c;
    }

    /** Starts connecting; {@link #handshakeDone()} tells when the upgrade finished. */
    public static WsTestClient start(String url, HttpHeaders headers) {
        URI uri = URI.create(url);
        WsTestClient c = new WsTestClient();
        WebSocketClientHandshaker hs = WebSocketClientHandshakerFactory.newHandshaker(
                uri, WebSocketVersion.V13, null, false, headers, 16 * 1024 * 1024);
        boolean tls = "wss".equals(uri.getScheme());
        int port = uri.getPort() > 0 ? uri.getPort() : tls ? 443 : 80;
        Bootstrap b = new Bootstrap().group(GROUP).channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5000)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (tls) {
                            ch.pipeline().addLast(clientTls().newHandler(ch.alloc(), uri.getHost(), port));
                        }
                        ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(1 << 20),
                                c.new Handler(hs));
                    }
                });
        b.connect(uri.getHost(), port).addListener(f -> {
            if (!f.isSuccess()) {
                c.handshake.completeExceptionally(f.cause());
                c.closed.complete(new Closed(1006, "connect failed"));
            }
        });
        return c;
    }

    /** Test certificates are self-signed: trust any server certificate (loopback only). */
    private static io.netty.handler.ssl.SslContext clientTls() {
        try {
            return io.netty.handler.ssl.SslContextBuilder.forClient()
                    .trustManager(io.netty.handler.ssl.util.InsecureTrustManagerFactory.INSTANCE).build();
        } catch (javax.net.ssl.SSLException e) {
            throw new AssertionError(e);
        }
    }

    /** Stops reading from the socket, like a client whose app stalled (§8.3). */
    public void pauseReading() {
        channel.config().setAutoRead(false);
    }

    public void resumeReading() {
        channel.config().setAutoRead(true);
        channel.read();
    }

    public CompletableFuture<Void> handshakeDone() {
        return handshake;
    }

    /** The HTTP status of a refused upgrade (0 while none). */
    public int httpStatus() {
        return httpStatus;
    }

    public void send(String text) {
        channel.writeAndFlush(new TextWebSocketFrame(text)).syncUninterruptibly();
    }

    /**
     * Like {@link #send} for a client that races the server's close (expiry tests keep a connection busy until the
     * server closes it): waits for the write and answers whether it went out instead of throwing.
     */
    public boolean trySend(String text) {
        return channel.writeAndFlush(new TextWebSocketFrame(text)).awaitUninterruptibly().isSuccess();
    }

    public void sendFrame(WebSocketFrame frame) {
        channel.writeAndFlush(frame).syncUninterruptibly();
    }

    /**
     * Writes every text as its own frame and flushes once, so they leave as one burst (§8.4 rate tests).
     * Waits for the writes but does not throw when the server closed meanwhile; Netty releases unwritten frames.
     */
    public void sendAll(List<String> texts) {
        List<WebSocketFrame> frames = new ArrayList<>(texts.size());
        for (String t : texts) {
            frames.add(new TextWebSocketFrame(t));
        }
        sendFrames(frames);
    }

    /** Like {@link #sendAll} for any frames; takes ownership of them. */
    public void sendFrames(List<? extends WebSocketFrame> frames) {
        io.netty.channel.ChannelFuture last = null;
        for (WebSocketFrame f : frames) {
            last = channel.write(f);
        }
        channel.flush();
        if (last != null) {
            last.awaitUninterruptibly(WAIT.toMillis());
        }
    }

    /** The next text message, waiting up to {@link #WAIT}; fails when none comes. */
    public String next() {
        return next(WAIT);
    }

    public String next(Duration wait) {
        try {
            String m = messages.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
            if (m == null) {
                throw new AssertionError("no message within " + wait);
            }
            return m;
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    public JsonNode nextJson() {
        try {
            return JSON.readTree(next());
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    /** A message if one arrives within {@code wait}, else null. */
    public String poll(Duration wait) throws InterruptedException {
        return messages.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
    }

    public List<String> drain() {
        List<String> out = new ArrayList<>();
        messages.drainTo(out);
        return out;
    }

    public Closed awaitClose() {
        return closed.orTimeout(WAIT.toMillis(), TimeUnit.MILLISECONDS).join();
    }

    public boolean isClosed() {
        return closed.isDone();
    }

    public static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public void close() {
        if (channel != null && channel.isActive()) {
            channel.writeAndFlush(new CloseWebSocketFrame(1000, "bye"));
            channel.close();
        }
    }

    private final class Handler extends SimpleChannelInboundHandler<Object> {
        private final WebSocketClientHandshaker hs;

        Handler(WebSocketClientHandshaker hs) {
            this.hs = hs;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            channel = ctx.channel();
            hs.handshake(ctx.channel());
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
            if (!hs.isHandshakeComplete()) {
                FullHttpResponse r = (FullHttpResponse) msg;
                httpStatus = r.status().code();
                try {
                    hs.finishHandshake(ctx.channel(), r);
                    ctx.pipeline().addBefore(ctx.name(), "agg", new WebSocketFrameAggregator(16 * 1024 * 1024));
                    handshake.complete(null);
                } catch (RuntimeException e) {
                    handshake.completeExceptionally(e);
                    ctx.close();
                }
                return;
            }
            if (msg instanceof TextWebSocketFrame t) {
                messages.add(t.text());
            } else if (msg instanceof CloseWebSocketFrame c) {
                closed.complete(new Closed(c.statusCode(), c.reasonText()));
                ctx.writeAndFlush(new CloseWebSocketFrame(c.statusCode(), "")).addListener(f -> ctx.close());
            } else if (msg instanceof PingWebSocketFrame p) {
                ctx.writeAndFlush(new PongWebSocketFrame(p.content().retain()));
            } else if (msg instanceof BinaryWebSocketFrame b) {
                messages.add("bin:" + io.netty.buffer.ByteBufUtil.hexDump(b.content())); // Socket.IO attachments (§7)
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            handshake.completeExceptionally(new IllegalStateException("closed before the handshake finished"));
            closed.complete(new Closed(1006, "closed without a close frame"));
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            handshake.completeExceptionally(cause);
            ctx.close();
        }
    }
}
