package io.herald.transport;

import io.herald.api.HttpResponses;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;

/**
 * Netty's aggregator with Herald's limits: a declared body over the limit of its path is refused before a
 * byte of it is buffered (4 MiB for the publish API, §3; a few KiB anywhere else), and the 413 carries the
 * §3 JSON error body. Bodies without a length stop at the larger limit.
 */
final class HttpBodyAggregator extends HttpObjectAggregator {
    static final String PUBLISH_PATH = "/api/v1/publish";
    static final int SMALL_BODY = 16 * 1024;

    HttpBodyAggregator(int maxPublishBody) {
        super(maxPublishBody);
    }

    @Override
    protected boolean isContentLengthInvalid(HttpMessage start, int maxContentLength) {
        long length;
        try {
            length = HttpUtil.getContentLength(start, -1L);
        } catch (NumberFormatException e) {
            return false;
        }
        int limit = start instanceof HttpRequest r && r.uri().startsWith(PUBLISH_PATH) ? maxContentLength : SMALL_BODY;
        return length > limit;
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) throws Exception {
        if (!(oversized instanceof HttpRequest)) {
            super.handleOversizedMessage(ctx, oversized);
            return;
        }
        FullHttpResponse r = HttpResponses.error(ctx.alloc(), HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                "too_large", "request body too large");
        HttpUtil.setKeepAlive(r, false);
        ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
    }
}
