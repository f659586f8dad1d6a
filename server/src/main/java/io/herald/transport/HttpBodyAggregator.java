package io.herald.transport;

import io.herald.api.HttpResponses;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;

import java.util.List;

/**
 * Netty's aggregator, bounded by each request's route (§9, {@link RouteSpec#maxBody()}): a body over it is
 * answered 413 with the §3 JSON error body before the rest is read. A declared length is refused on the head,
 * before a byte of the body is buffered (also under {@code Expect: 100-continue}); a chunked body at the chunk that
 * passes the bound, and what was buffered of it is released. After a 413 every later message of the connection is
 * released unread until it closes ({@link LingeringClose}). One per channel, after the HTTP codec.
 */
final class HttpBodyAggregator extends HttpObjectAggregator {
    private final Routes routes;
    /** The body bound of the request being read, and the body bytes of it so far. */
    private int maxBody = Routes.UNROUTED_MAX_BODY;
    /** The target of the request being read, for its route's {@link RouteSpec#onTooLarge()}. */
    private String uri;
    private long received;
    private boolean refused;

    /** Netty's own bound is the largest route's, so nothing is ever buffered past any route's limit. */
    HttpBodyAggregator(Routes routes) {
        super(routes.largestBody());
        this.routes = routes;
    }

    @Override
    public boolean acceptInboundMessage(Object msg) throws Exception {
        return refused ? msg instanceof HttpObject : super.acceptInboundMessage(msg);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, HttpObject msg, List<Object> out) throws Exception {
        if (refused) {
            return; // MessageToMessageDecoder releases msg
        }
        if (msg instanceof HttpRequest head) {
            uri = head.uri();
            maxBody = routes.maxBodyFor(uri);
            received = 0;
        }
        if (msg instanceof HttpContent chunk) {
            received += chunk.content().readableBytes();
            if (received > maxBody) {
                releaseCurrentMessage(); // the part already buffered
                refuse(ctx);
                return;
            }
        }
        super.decode(ctx, msg, out);
    }

    @Override
    protected boolean isContentLengthInvalid(HttpMessage start, int largestBody) {
        long length;
        try {
            length = HttpUtil.getContentLength(start, -1L);
        } catch (NumberFormatException e) {
            return false;
        }
        return length > maxBody;
    }

    /** {@code Expect: 100-continue} with a length over the bound: no 100, and the JSON 413 below, not Netty's bare one. */
    @Override
    protected Object newContinueResponse(HttpMessage start, int largestBody, ChannelPipeline pipeline) {
        return isContentLengthInvalid(start, largestBody) ? null : super.newContinueResponse(start, largestBody, pipeline);
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) throws Exception {
        if (!(oversized instanceof HttpRequest)) {
            super.handleOversizedMessage(ctx, oversized);
            return;
        }
        refuse(ctx);
    }

    private void refuse(ChannelHandlerContext ctx) {
        refused = true;
        RouteSpec spec = uri == null ? null : routes.specFor(uri);
        if (spec != null && spec.onTooLarge() != null) {
            spec.onTooLarge().accept(uri);
        }
        LingeringClose.respond(ctx, HttpResponses.error(ctx.alloc(), HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                "too_large", "request body too large"));
    }
}
