package io.herald.transport;

import io.herald.api.HttpResponses;
import io.herald.api.StreamingHttpEndpoint;
import io.herald.auth.TokenVerifier;
import io.herald.broker.local.LocalBroker;
import io.herald.hub.FrameRenderer;
import io.herald.hub.Hub;
import io.herald.metrics.Stats;
import io.herald.protocol.ConnectionCore;
import io.herald.protocol.Connections;
import io.herald.testing.EmbeddedConnection;
import io.herald.testing.TestServer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The router and a {@link StreamingHttpEndpoint} (the admin topic tail): a refusal is an answer, a stream a takeover. */
class HttpRouterStreamingTest {
    /** What the stream handler read after it took over. */
    final List<Object> readByStream = new ArrayList<>();
    final StreamingHttpEndpoint endpoint = (req, alloc) -> req.headers().contains("X-Refuse")
            ? StreamingHttpEndpoint.Opened.refused(HttpResponses.error(alloc, HttpResponseStatus.FORBIDDEN, "forbidden", "no"))
            : StreamingHttpEndpoint.Opened.streaming(new ChannelInboundHandlerAdapter() {
                @Override
                public void handlerAdded(ChannelHandlerContext ctx) {
                    DefaultHttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                    HttpUtil.setTransferEncodingChunked(head, true);
                    ctx.writeAndFlush(head);
                }

                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    readByStream.add(msg.getClass().getSimpleName());
                    ReferenceCountUtil.release(msg);
                }
            });
    final Stats stats = new Stats();
    final Routes routes = new Routes().http("/stream", endpoint, RouteSpec.of(RouteSpec.SMALL_BODY, HttpMethod.GET));
    final HttpRouter router = new HttpRouter(routes,
            TokenVerifier.from(io.herald.config.HeraldConfig.builder().jwtSecret(TestServer.SECRET).build(), Clock.systemUTC()),
            new ConnectionCore(new Hub(List.<FrameRenderer>of(), new LocalBroker(), ByteBufAllocator.DEFAULT, stats), stats,
                    new Connections(Duration.ofSeconds(90), Clock.systemUTC()), EmbeddedConnection.POLICY),
            new OriginPolicy(List.of(), false), 65536);
    final EmbeddedChannel ch = new EmbeddedChannel();

    HttpRouterStreamingTest() {
        HeraldChannelInitializer.configure(ch.pipeline(), routes, router, 10_000);
    }

    @AfterEach
    void release() {
        ch.finishAndReleaseAll();
    }

    void send(String request) {
        ch.writeInbound(Unpooled.copiedBuffer(request, StandardCharsets.US_ASCII));
        ch.runPendingTasks();
    }

    String out() {
        StringBuilder s = new StringBuilder();
        ByteBuf b;
        while ((b = ch.readOutbound()) != null) {
            s.append(b.toString(StandardCharsets.ISO_8859_1));
            b.release();
        }
        return s.toString();
    }

    @Test
    void aRefusalIsWrittenAndTheConnectionStaysHttp() {
        send("GET /stream HTTP/1.1\r\nHost: x\r\nX-Refuse: 1\r\n\r\n");
        assertTrue(out().startsWith("HTTP/1.1 403"));
        assertNotNull(ch.pipeline().get(HandlerNames.HTTP_ROUTER));
        assertNull(ch.pipeline().get(HandlerNames.HTTP_STREAM));
    }

    @Test
    void aStreamTakesTheRoutersPlaceAndLaterRequestsGetNoAnswer() {
        send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
        String head = out();
        assertTrue(head.startsWith("HTTP/1.1 200") && head.contains("transfer-encoding: chunked"), head);
        assertNull(ch.pipeline().get(HandlerNames.HTTP_ROUTER));
        assertNotNull(ch.pipeline().get(HandlerNames.HTTP_STREAM));
        assertNull(ch.pipeline().get(HandlerNames.HTTP_TIMEOUT), "the stream is the answer: no request timeout");
        assertNull(ch.pipeline().get(HandlerNames.HTTP_METHOD_GATE));
        assertNull(ch.pipeline().get(HandlerNames.HTTP_AGGREGATOR));
        // pipelined behind the stream: a 405 and a 413 candidate; neither may write into the stream
        send("DELETE /stream HTTP/1.1\r\nHost: x\r\n\r\nPOST /stream HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n");
        assertEquals("", out());
        assertTrue(ch.isOpen());
        assertTrue(!readByStream.isEmpty(), "the stream's handler saw (and released) what came");
    }
}
