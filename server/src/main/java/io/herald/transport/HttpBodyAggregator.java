package io.herald.transport;

import io.herald.api.HttpResponses;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;

import java.util.concurrent.TimeUnit;

/**
 * Netty's aggregator with Herald's limits: a declared body over the limit of its path is refused before a
 * byte of it is buffered (4 MiB for the publish API, §3; a few KiB anywhere else), and the 413 carries the
 * §3 JSON error body. Bodies without a length stop at the larger limit.
 */
final class HttpBodyAggregator extends HttpObjectAggregator {
    static final String PUBLISH_PATH = "/api/v1/publish";
    static final int SMALL_BODY = 16 * 1024;
    static final int LINGER_SECONDS = 2;

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
        ctx.writeAndFlush(r).addListener(f -> lingeringClose(ctx));
    }

    /**
     * The client is likely still sending the body. Closing now would reset the connection and could destroy
     * the 413 before the client reads it, so half-close instead: our side is done, the rest of the body is
     * read and discarded, and the connection closes when the client does or after {@link #LINGER_SECONDS}.
     */
    private static void lingeringClose(ChannelHandlerContext ctx) {
        Channel ch = ctx.channel();
        if (ch instanceof DuplexChannel duplex && ch.isActive()) {
            duplex.shutdownOutput();
            ctx.executor().schedule(() -> { ch.close(); }, LINGER_SECONDS, TimeUnit.SECONDS);
        } else {
            ch.close();
        }
    }
}
