package io.herald.transport;

import io.herald.api.HttpResponses;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.ReferenceCountUtil;

/**
 * §9: a method that its route does not serve ({@link RouteSpec#methods()}) is answered 405 with {@code Allow} on
 * the request head, before a byte of the body is read or buffered. Sits between {@value HandlerNames#HTTP_DECODER}
 * and {@value HandlerNames#HTTP_AGGREGATOR}. A path no route serves passes (the router answers 404), and so does
 * a head the codec could not decode (the router answers 400, 414 or 431). After a 405 every later message of the
 * connection is released unread until it closes ({@link LingeringClose}). One per channel; a WebSocket upgrade
 * removes it with the rest of the HTTP stage.
 */
final class HttpMethodGate extends ChannelInboundHandlerAdapter {
    private final Routes routes;
    private boolean refused;

    HttpMethodGate(Routes routes) {
        this.routes = routes;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (refused) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpRequest head && head.decoderResult().isSuccess()) {
            RouteSpec spec = routes.specFor(head.uri());
            if (spec != null && !spec.serves(head.method())) {
                refused = true;
                ReferenceCountUtil.release(msg);
                LingeringClose.respond(ctx, HttpResponses.methodNotAllowed(ctx.alloc(), spec.allow()));
                return;
            }
        }
        ctx.fireChannelRead(msg);
    }
}
