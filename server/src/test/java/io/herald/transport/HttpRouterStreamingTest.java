package io.herald.transport;

import io.herald.api.HttpResponses;
import io.herald.api.StreamingHttpEndpoint;
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
    final RouterChannel http = new RouterChannel(
            new Routes().http("/stream", endpoint, RouteSpec.of(RouteSpec.SMALL_BODY, HttpMethod.GET)));
    final EmbeddedChannel ch = http.ch;

    @AfterEach
    void release() {
        http.close();
    }

    @Test
    void aRefusalIsWrittenAndTheConnectionStaysHttp() {
        http.send("GET /stream HTTP/1.1\r\nHost: x\r\nX-Refuse: 1\r\n\r\n");
        assertTrue(http.out().startsWith("HTTP/1.1 403"));
        assertNotNull(ch.pipeline().get(HandlerNames.HTTP_ROUTER));
        assertNull(ch.pipeline().get(HandlerNames.HTTP_STREAM));
    }

    @Test
    void aStreamTakesTheRoutersPlaceAndLaterRequestsGetNoAnswer() {
        http.send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
        String head = http.out();
        assertTrue(head.startsWith("HTTP/1.1 200") && head.contains("transfer-encoding: chunked"), head);
        assertNull(ch.pipeline().get(HandlerNames.HTTP_ROUTER));
        assertNotNull(ch.pipeline().get(HandlerNames.HTTP_STREAM));
        assertNull(ch.pipeline().get(HandlerNames.HTTP_TIMEOUT), "the stream is the answer: no request timeout");
        assertNull(ch.pipeline().get(HandlerNames.HTTP_METHOD_GATE));
        assertNull(ch.pipeline().get(HandlerNames.HTTP_AGGREGATOR));
        // pipelined behind the stream: a 405 and a 413 candidate; neither may write into the stream
        http.send("DELETE /stream HTTP/1.1\r\nHost: x\r\n\r\nPOST /stream HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n");
        assertEquals("", http.out());
        assertTrue(ch.isOpen());
        assertTrue(!readByStream.isEmpty(), "the stream's handler saw (and released) what came");
    }
}
