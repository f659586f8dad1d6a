package io.herald.transport;

import io.herald.api.HttpEndpoint;
import io.herald.api.HttpResponses;
import io.herald.auth.BearerTokens;
import io.herald.auth.InvalidTokenException;
import io.herald.auth.Principal;
import io.herald.auth.TokenVerifier;
import io.herald.hub.Hub;
import io.herald.metrics.Stats;
import io.herald.protocol.Connection;
import io.herald.protocol.DialectHandler;
import io.herald.protocol.Disconnect;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.Utf8FrameValidator;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletionStage;

/**
 * The handshake/JWT stage, after the HTTP codec and aggregator: answers plain HTTP through {@link Routes},
 * and upgrades requests on a dialect's path to WebSocket.
 *
 * <p>An upgrade always completes when the request is a valid RFC 6455 handshake; authentication failures are
 * then told with a close frame, as §4/§5 require: 4401 for a missing or invalid token (§2), or the dialect's
 * own refusal (4403 for an unregistered device). The token is read from the {@code Authorization} header or
 * the {@code token} query parameter and never logged. Stateless and shared by every channel; releases every
 * request it reads.
 */
@ChannelHandler.Sharable
public final class HttpRouter extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger log = LoggerFactory.getLogger(HttpRouter.class);

    private final Routes routes;
    private final TokenVerifier verifier;
    private final Hub hub;
    private final Stats stats;
    private final int maxFrame;

    public HttpRouter(Routes routes, TokenVerifier verifier, Hub hub, Stats stats, int maxFrame) {
        this.routes = routes;
        this.verifier = verifier;
        this.hub = hub;
        this.stats = stats;
        this.maxFrame = maxFrame;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        if (!req.decoderResult().isSuccess()) {
            respond(ctx, req, HttpResponses.error(ctx.alloc(), HttpResponseStatus.BAD_REQUEST, "bad_request",
                    "malformed HTTP request"), false);
            return;
        }
        QueryStringDecoder query = new QueryStringDecoder(req.uri());
        String path = query.path();
        Routes.DialectMatch match = routes.dialectFor(path);
        if (match != null) {
            if (isUpgrade(req)) {
                upgrade(ctx, req, query, match);
            } else {
                respond(ctx, req, HttpResponses.error(ctx.alloc(), HttpResponseStatus.BAD_REQUEST, "bad_request",
                        "expected a WebSocket upgrade"), true);
            }
            return;
        }
        HttpEndpoint endpoint = routes.endpointFor(path);
        if (endpoint == null) {
            respond(ctx, req, HttpResponses.error(ctx.alloc(), HttpResponseStatus.NOT_FOUND, "not_found",
                    "no such endpoint"), true);
            return;
        }
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        CompletionStage<FullHttpResponse> answer;
        try {
            answer = endpoint.handle(req, ctx.alloc());
        } catch (RuntimeException e) {
            log.warn("{} {} failed", ctx.channel().id().asShortText(), BearerTokens.redact(req.uri()), e);
            respond(ctx, keepAlive, HttpResponses.error(ctx.alloc(), HttpResponseStatus.INTERNAL_SERVER_ERROR,
                    "internal_error", "internal error"));
            return;
        }
        answer.whenComplete((response, failure) -> {
            Runnable write = () -> respond(ctx, keepAlive, failure == null ? response
                    : HttpResponses.error(ctx.alloc(), HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal_error",
                    "internal error"));
            if (ctx.executor().inEventLoop()) {
                write.run();
            } else {
                ctx.executor().execute(write);
            }
        });
    }

    private static boolean isUpgrade(FullHttpRequest req) {
        return req.headers().containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true);
    }

    private void upgrade(ChannelHandlerContext ctx, FullHttpRequest req, QueryStringDecoder query,
                         Routes.DialectMatch match) {
        // Every frame is bounded by maxFrame; fragments together by the aggregator (§8.4).
        // RFC 6455 only: Netty would also speak the hybi drafts (versions 7 and 8).
        WebSocketServerHandshaker handshaker = "13".equals(req.headers().get(HttpHeaderNames.SEC_WEBSOCKET_VERSION))
                ? new WebSocketServerHandshakerFactory(wsUrl(req), null, false, maxFrame).newHandshaker(req) : null;
        if (handshaker == null) {
            WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel());
            return;
        }
        Principal principal = null;
        String refusal = null;
        try {
            principal = verifier.verify(BearerTokens.fromUpgrade(req, query));
        } catch (InvalidTokenException e) {
            refusal = e.getMessage();
        }
        Channel channel = ctx.channel();
        Principal admitted = principal;
        String why = refusal;
        String target = BearerTokens.redact(req.uri());
        handshaker.handshake(channel, req).addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                channel.close();
                return;
            }
            Connection connection = new Connection(channel, match.dialect(), admitted, match.parameter(), hub);
            DialectHandler handler = new DialectHandler(connection, stats);
            ChannelPipeline p = channel.pipeline();
            p.replace(HandlerNames.HTTP_ROUTER, HandlerNames.WS_DIALECT, handler);
            p.addBefore(HandlerNames.WS_DIALECT, HandlerNames.WS_UTF8, new Utf8FrameValidator());
            p.addBefore(HandlerNames.WS_DIALECT, HandlerNames.WS_AGGREGATOR, new WebSocketFrameAggregator(maxFrame));
            Disconnect denied = admitted == null ? Disconnect.UNAUTHORIZED : match.dialect().admit(connection);
            if (denied != null) {
                if (log.isDebugEnabled()) {
                    log.debug("{} {} refused: {} ({})", channel.id().asShortText(), target, denied,
                            why != null ? why : denied.reason());
                }
                connection.close(denied);
            } else {
                handler.open();
            }
        });
    }

    private static String wsUrl(FullHttpRequest req) {
        String host = req.headers().get(HttpHeaderNames.HOST, "localhost");
        return "ws://" + host + new QueryStringDecoder(req.uri()).path();
    }

    private static void respond(ChannelHandlerContext ctx, FullHttpRequest req, FullHttpResponse response,
                                boolean keepAliveAllowed) {
        respond(ctx, keepAliveAllowed && HttpUtil.isKeepAlive(req), response);
    }

    private static void respond(ChannelHandlerContext ctx, boolean keepAlive, FullHttpResponse response) {
        if (!ctx.channel().isActive()) {
            response.release();
            return;
        }
        HttpUtil.setKeepAlive(response, keepAlive);
        var f = ctx.writeAndFlush(response);
        if (!keepAlive) {
            f.addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!(cause instanceof java.io.IOException)) {
            log.warn("{} HTTP error", ctx.channel().id().asShortText(), cause);
        }
        ctx.close();
    }
}
