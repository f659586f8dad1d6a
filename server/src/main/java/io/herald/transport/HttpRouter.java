package io.herald.transport;

import io.herald.api.HttpEndpoint;
import io.herald.api.HttpResponses;
import io.herald.auth.BearerTokens;
import io.herald.auth.InvalidTokenException;
import io.herald.auth.Principal;
import io.herald.auth.TokenVerifier;
import io.herald.protocol.Connection;
import io.herald.protocol.ConnectionCore;
import io.herald.protocol.DialectHandler;
import io.herald.protocol.WebSocketTransport;
import io.herald.protocol.Disconnect;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakeException;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletionStage;

/**
 * The handshake/JWT stage, after the HTTP codec and aggregator: answers plain HTTP through {@link Routes},
 * and upgrades requests on a dialect's path to WebSocket.
 *
 * <p>Before upgrading it refuses a foreign {@code Origin} with 403 (§8.5) and a connection past
 * {@code HERALD_MAX_CONNECTIONS} with 503. An upgrade then always completes when the request is a valid
 * RFC 6455 handshake; authentication failures are
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
    private final ConnectionCore core;
    private final OriginPolicy origins;
    private final int maxFrame;
    private final WebSocketDecoderConfig decoderConfig;

    /** The connection cap (§1) is the registry's: {@link io.herald.protocol.Connections#tryAdmit()}. */
    public HttpRouter(Routes routes, TokenVerifier verifier, ConnectionCore core, OriginPolicy origins, int maxFrame) {
        this.routes = routes;
        this.verifier = verifier;
        this.core = core;
        this.origins = origins;
        this.maxFrame = maxFrame;
        this.decoderConfig = WebSocketPipeline.decoderConfig(maxFrame);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        if (!req.decoderResult().isSuccess()) {
            respond(ctx, req, decodeFailure(ctx, req.decoderResult().cause()), false);
            return;
        }
        QueryStringDecoder query = new QueryStringDecoder(req.uri());
        String path;
        try {
            path = query.path();
            query.parameters(); // decode now: a bad escape must not surface later with the URI in its message
        } catch (IllegalArgumentException e) {
            respond(ctx, req, HttpResponses.error(ctx.alloc(), HttpResponseStatus.BAD_REQUEST, "bad_request",
                    "malformed request target"), false);
            return;
        }
        Routes.DialectMatch match = routes.dialectFor(path);
        if (match != null) {
            if (isUpgrade(req)) {
                upgrade(ctx, req, query, match);
            } else if (match.http() != null) {
                serve(ctx, req, match.http());
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
        serve(ctx, req, endpoint);
    }

    /**
     * Hands the request to its endpoint and writes the answer on this channel when it comes, with the request's
     * keep-alive unless the answer says {@code Connection: close}. An answer still pending when the client goes (a
     * long poll) is cancelled, so its endpoint can let go of it.
     */
    private void serve(ChannelHandlerContext ctx, FullHttpRequest req, HttpEndpoint endpoint) {
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        CompletionStage<FullHttpResponse> answer;
        try {
            answer = endpoint.handle(req, ctx.alloc(), ctx.executor());
        } catch (RuntimeException e) {
            log.warn("{} {} failed: {}", ctx.channel().id().asShortText(), BearerTokens.redact(req.uri()),
                    e.getClass().getName());
            respond(ctx, keepAlive, HttpResponses.error(ctx.alloc(), HttpResponseStatus.INTERNAL_SERVER_ERROR,
                    "internal_error", "internal error"));
            return;
        }
        boolean head = HttpMethod.HEAD.equals(req.method());
        java.util.concurrent.CompletableFuture<FullHttpResponse> pending = answer.toCompletableFuture();
        if (!pending.isDone()) {
            ChannelFutureListener abandon = f -> pending.cancel(false);
            ctx.channel().closeFuture().addListener(abandon);
            pending.whenComplete((r, t) -> ctx.channel().closeFuture().removeListener(abandon));
        }
        answer.whenComplete((response, failure) -> {
            if (failure instanceof java.util.concurrent.CancellationException) {
                return; // the client went first
            }
            Runnable write = () -> respond(ctx, keepAlive && (failure != null || !closes(response)),
                    failure == null ? (head ? withoutBody(response) : response)
                    : HttpResponses.error(ctx.alloc(), HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal_error",
                    "internal error"));
            if (ctx.executor().inEventLoop()) {
                write.run();
            } else {
                ctx.executor().execute(write);
            }
        });
    }

    private static boolean closes(FullHttpResponse response) {
        return response.headers().containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE, true);
    }

    /**
     * RFC 9110 §9.3.2: a HEAD answer has the GET answer's headers (Content-Length included) and no body. The
     * plain response encoder does not know the request's method, so the body is dropped here.
     */
    private static FullHttpResponse withoutBody(FullHttpResponse response) {
        FullHttpResponse empty = response.replace(Unpooled.EMPTY_BUFFER);
        response.release();
        return empty;
    }

    /** §8.4: bounded request line and headers; anything else unreadable is a 400. */
    private static FullHttpResponse decodeFailure(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof TooLongHttpHeaderException) {
            return HttpResponses.error(ctx.alloc(), HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                    "headers_too_large", "request headers too large");
        }
        if (cause instanceof TooLongHttpLineException) {
            return HttpResponses.error(ctx.alloc(), HttpResponseStatus.REQUEST_URI_TOO_LONG, "uri_too_long",
                    "request line too long");
        }
        return HttpResponses.error(ctx.alloc(), HttpResponseStatus.BAD_REQUEST, "bad_request", "malformed HTTP request");
    }

    private static boolean isUpgrade(FullHttpRequest req) {
        return req.headers().containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true);
    }

    private void upgrade(ChannelHandlerContext ctx, FullHttpRequest req, QueryStringDecoder query,
                         Routes.DialectMatch match) {
        // Every frame is bounded by maxFrame; fragments together by the aggregator (§8.4).
        // RFC 6455 only: Netty would also speak the hybi drafts (versions 7 and 8).
        WebSocketServerHandshaker handshaker = "13".equals(req.headers().get(HttpHeaderNames.SEC_WEBSOCKET_VERSION))
                ? new WebSocketServerHandshakerFactory(wsUrl(req), null, decoderConfig).newHandshaker(req) : null;
        if (handshaker == null) {
            WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel());
            return;
        }
        if (!HttpMethod.GET.equals(req.method())) {
            FullHttpResponse r = HttpResponses.methodNotAllowed(ctx.alloc(), "GET");
            respond(ctx, req, r, false);
            return;
        }
        FullHttpResponse refused = match.dialect().refuseUpgrade(req, query, ctx.alloc());
        if (refused != null) {
            respond(ctx, req, refused, false);
            return;
        }
        if (!origins.allows(req)) {
            respond(ctx, req, HttpResponses.error(ctx.alloc(), HttpResponseStatus.FORBIDDEN, "origin_not_allowed",
                    "origin not allowed"), false);
            return;
        }
        Channel channel = ctx.channel();
        WebSocketTransport transport = new WebSocketTransport(channel, core.policy().closeHandshake().toMillis());
        Connection<?> continued = match.dialect().continues(query);
        if (continued != null) {
            // §7 Engine.IO upgrade: the WebSocket continues a long-polling session (the dialect checked it is the
            // same user's); it takes no place of its own under the cap and carries the session once it switches.
            DialectHandler handler = new DialectHandler(continued, transport);
            WebSocketPipeline.install(channel.pipeline(), transport, handler, maxFrame);
            handshake(ctx, req, handshaker, handler, null, null, null);
            return;
        }
        if (!core.connections().tryAdmit()) {
            respond(ctx, req, HttpResponses.error(ctx.alloc(), HttpResponseStatus.SERVICE_UNAVAILABLE, "at_capacity",
                    "too many connections, retry later"), false);
            return;
        }
        Principal verified = null;
        String refusal = null;
        try {
            verified = verifier.verify(match.dialect().upgradeToken(req, query));
        } catch (InvalidTokenException e) {
            refusal = e.getMessage();
        }
        long deadline = verified == null ? Long.MAX_VALUE : verifier.deadline(verified).toEpochMilli();
        Connection<?> connection = newConnection(transport, match.dialect(), verified, deadline,
                match.dialect().connectionParameter(query, match.parameter()));
        connection.admitted(); // given back when the connection ends, whatever happens to the handshake
        DialectHandler handler = new DialectHandler(connection, transport);
        // The dialect's stages go in before the 101 (this router leaves the pipeline here): a frame the client
        // sent in the same write as its request reaches the dialect, which holds it until the connection opens.
        WebSocketPipeline.install(channel.pipeline(), transport, handler, maxFrame);
        Disconnect denied = verified == null
                ? (match.dialect().authenticatesInBand() ? null : Disconnect.UNAUTHORIZED)
                : admit(connection);
        handshake(ctx, req, handshaker, handler, connection, denied, refusal);
    }

    private static <S> Connection<S> newConnection(WebSocketTransport t, io.herald.protocol.Dialect<S> dialect,
                                                   Principal principal, long deadline, String parameter, ConnectionCore core) {
        return new Connection<>(t, dialect, principal, deadline, parameter, core);
    }

    private <S> Connection<S> newConnection(WebSocketTransport t, io.herald.protocol.Dialect<S> dialect,
                                            Principal principal, long deadline, String parameter) {
        return newConnection(t, dialect, principal, deadline, parameter, core);
    }

    private static <S> Disconnect admit(Connection<S> c) {
        return c.dialect().admit(c);
    }

    /** Writes the 101; then opens the connection, or closes it with {@code denied} (§4/§5: a close frame). */
    private static void handshake(ChannelHandlerContext ctx, FullHttpRequest req, WebSocketServerHandshaker handshaker,
                                  DialectHandler handler, Connection<?> connection, Disconnect denied, String why) {
        Channel channel = ctx.channel();
        String target = BearerTokens.redact(req.uri());
        ChannelFuture handshake;
        try {
            handshake = handshaker.handshake(channel, req);
        } catch (WebSocketServerHandshakeException e) {
            // RFC 6455 §4.2.1: a malformed opening handshake (no key, no Connection: Upgrade) is a 400. The
            // HTTP encoder is still in place: only the decoder is swapped once a handshake is under way.
            channel.writeAndFlush(HttpResponses.error(ctx.alloc(), HttpResponseStatus.BAD_REQUEST, "bad_request",
                    "invalid WebSocket handshake")).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        handshake.addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                channel.close();
                return;
            }
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

    private static boolean isTlsNoise(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof javax.net.ssl.SSLException) {
                return true;
            }
        }
        return false;
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
        if (isTlsNoise(cause)) {
            // Port scanners and plain-text clients on a TLS port: not worth a warning each.
            log.debug("{} TLS handshake failed: {}", ctx.channel().id().asShortText(), cause.getClass().getSimpleName());
        } else if (cause instanceof PrematureChannelClosureException) {
            // The aggregator's word for a client that left mid-request: the client's doing, not Herald's.
            log.debug("{} client closed mid-request", ctx.channel().id().asShortText());
        } else if (!(cause instanceof java.io.IOException)) {
            // Only the type: a message may quote the request target, and with it a token (§2).
            log.warn("{} HTTP error {} at {}", ctx.channel().id().asShortText(), cause.getClass().getName(),
                    cause.getStackTrace().length > 0 ? cause.getStackTrace()[0] : "?");
        }
        ctx.close();
    }
}
