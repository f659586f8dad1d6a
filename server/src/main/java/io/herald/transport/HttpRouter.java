package io.herald.transport;

import io.herald.api.HttpEndpoint;
import io.herald.api.HttpResponses;
import io.herald.api.StreamingHttpEndpoint;
import io.herald.auth.BearerTokens;
import io.herald.auth.Authenticator;
import io.herald.auth.TokenVerifier;
import io.herald.logging.Logs;
import io.herald.protocol.ConnectionCore;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
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
import io.netty.util.AttributeKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.concurrent.CompletionStage;

/**
 * The router, after the HTTP codec, method gate and aggregator: it only dispatches. A plain request goes to the
 * {@link HttpEndpoint} of its route (publish, health, stats, metrics, Engine.IO long-polling), whose answer it writes
 * when it comes; an upgrade request on a dialect's path goes to a {@link WebSocketUpgrade} made for it alone
 * (origin, cap, credentials, handshake). Stateless and shared by every channel; releases every request it reads.
 */
@ChannelHandler.Sharable
public final class HttpRouter extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger log = LoggerFactory.getLogger(HttpRouter.class);

    private final Routes routes;
    private final WebSocketUpgrade.Settings upgrades;

    /** The connection cap (§1) is the registry's: {@link io.herald.protocol.Connections#tryAdmit()}. */
    public HttpRouter(Routes routes, TokenVerifier verifier, ConnectionCore core, OriginPolicy origins, int maxFrame) {
        this(routes, new Authenticator(verifier), core, origins, maxFrame);
    }

    public HttpRouter(Routes routes, Authenticator authenticator, ConnectionCore core, OriginPolicy origins, int maxFrame) {
        this(routes, authenticator, core, origins, maxFrame, true);
    }

    /** {@code compression}: negotiate RFC 7692 permessage-deflate when a client offers it ({@code HERALD_COMPRESSION}). */
    public HttpRouter(Routes routes, Authenticator authenticator, ConnectionCore core, OriginPolicy origins, int maxFrame,
                      boolean compression) {
        this.routes = routes;
        this.upgrades = new WebSocketUpgrade.Settings(authenticator, core, origins, maxFrame,
                WebSocketPipeline.decoderConfig(maxFrame), compression);
    }

    /** Requests held behind a pending answer on one connection, at most; past it the connection ends. */
    static final int MAX_PIPELINED = 16;
    private static final AttributeKey<Pipelined> PIPELINED = AttributeKey.valueOf("herald.http.pipelined");

    /**
     * RFC 9112 §9.3: a connection's answers go out in the order of its requests. While one answer is pending (a
     * publish through Redis, a long poll), requests pipelined behind it are held here, unread further, and handled
     * once it is written.
     */
    private static final class Pipelined {
        boolean busy;
        boolean pausedReading;
        final ArrayDeque<FullHttpRequest> held = new ArrayDeque<>();
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        Pipelined p = ctx.channel().attr(PIPELINED).get();
        if (p != null && (p.busy || !p.held.isEmpty())) {
            if (p.held.size() >= MAX_PIPELINED) {
                ctx.close(); // a client piling requests up behind a slow answer: no more memory for it
                return;
            }
            p.held.add(req.retain());
            if (ctx.channel().config().isAutoRead()) {
                ctx.channel().config().setAutoRead(false);
                p.pausedReading = true;
            }
            return;
        }
        route(ctx, req);
    }

    /** Handles the held requests once the pending answer is written, in order, until one is pending again. */
    private void resume(ChannelHandlerContext ctx) {
        Pipelined p = ctx.channel().attr(PIPELINED).get();
        if (p == null) {
            return;
        }
        p.busy = false;
        if (p.pausedReading) {
            // before the held requests: one of them may hand the connection to a stage that pauses reading itself
            // (an upgrade waiting for the auth proxy); what arrives meanwhile queues behind them (reads come later)
            p.pausedReading = false;
            ctx.channel().config().setAutoRead(true);
        }
        FullHttpRequest next;
        while (!p.busy && (next = p.held.poll()) != null) {
            try {
                if (ctx.isRemoved() || !ctx.channel().isActive()) {
                    continue; // the connection became a WebSocket or a stream, or ended: nothing more is answered here
                }
                route(ctx, next);
            } finally {
                next.release();
            }
        }
    }

    private static void releaseHeld(ChannelHandlerContext ctx) {
        Pipelined p = ctx.channel().attr(PIPELINED).getAndSet(null);
        if (p != null) {
            FullHttpRequest r;
            while ((r = p.held.poll()) != null) {
                r.release();
            }
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        releaseHeld(ctx);
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseHeld(ctx);
    }

    private void route(ChannelHandlerContext ctx, FullHttpRequest req) {
        if (ctx.pipeline().get(HandlerNames.WS_UPGRADE) != null) {
            // pipelined behind a WebSocket upgrade still being decided (§12: the auth proxy is asked): the
            // connection is about to speak WebSocket, so nothing may answer in between
            ctx.close();
            return;
        }
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
                // a handler of its own for this one request, which it answers or turns into a WebSocket
                ctx.pipeline().addAfter(ctx.name(), HandlerNames.WS_UPGRADE, new WebSocketUpgrade(upgrades, match, query));
                ctx.fireChannelRead(req.retain());
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
        if (endpoint instanceof StreamingHttpEndpoint streaming) {
            stream(ctx, req, streaming);
            return;
        }
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        CompletionStage<FullHttpResponse> answer;
        try {
            answer = endpoint.handle(req, ctx.alloc(), ctx.executor(), WebSocketUpgrade.remoteAddress(ctx.channel()));
        } catch (RuntimeException e) {
            failed(ctx, req, e);
            return;
        }
        boolean head = HttpMethod.HEAD.equals(req.method());
        java.util.concurrent.CompletableFuture<FullHttpResponse> pending = answer.toCompletableFuture();
        if (!pending.isDone()) {
            Pipelined p = ctx.channel().attr(PIPELINED).get();
            if (p == null) {
                p = new Pipelined();
                ctx.channel().attr(PIPELINED).set(p);
            }
            p.busy = true; // what comes behind waits for this answer
            ChannelFutureListener abandon = f -> pending.cancel(false);
            ctx.channel().closeFuture().addListener(abandon);
            pending.whenComplete((r, t) -> ctx.channel().closeFuture().removeListener(abandon));
        }
        answer.whenComplete((response, failure) -> {
            if (failure instanceof java.util.concurrent.CancellationException) {
                return; // the client went first
            }
            Runnable write = () -> {
                respond(ctx, keepAlive && (failure != null || !closes(response)),
                        failure == null ? (head ? withoutBody(response) : response)
                        : HttpResponses.error(ctx.alloc(), HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal_error",
                        "internal error"));
                resume(ctx);
            };
            if (ctx.executor().inEventLoop()) {
                write.run();
            } else {
                ctx.executor().execute(write);
            }
        });
    }

    /**
     * A streaming answer (the admin topic tail): a refusal is written like any answer; an accepted stream's handler
     * takes this router's place on this connection, and the request timeout goes (the stream is the response).
     */
    private void stream(ChannelHandlerContext ctx, FullHttpRequest req, StreamingHttpEndpoint endpoint) {
        StreamingHttpEndpoint.Opened opened;
        try {
            opened = endpoint.open(req, ctx.alloc());
        } catch (RuntimeException e) {
            failed(ctx, req, e);
            return;
        }
        if (opened.refusal() != null) {
            respond(ctx, req, opened.refusal(), true);
            return;
        }
        ChannelPipeline p = ctx.pipeline();
        // nothing but the stream answers on this connection now: no 405, 413 or 100-continue of later requests
        for (String stage : new String[] {HandlerNames.HTTP_METHOD_GATE, HandlerNames.HTTP_AGGREGATOR, HandlerNames.HTTP_TIMEOUT}) {
            if (p.get(stage) != null) {
                p.remove(stage);
            }
        }
        p.replace(ctx.name(), HandlerNames.HTTP_STREAM, opened.stream());
    }

    /** An endpoint threw: a 500, and a log line with the exception's type only (a message may quote a token, §2). */
    private static void failed(ChannelHandlerContext ctx, FullHttpRequest req, RuntimeException e) {
        log.atWarn().addKeyValue(Logs.CONNECTION, ctx.channel().id().asShortText())
                .log("{} failed: {}", BearerTokens.redact(req.uri()), e.getClass().getName());
        respond(ctx, req, HttpResponses.error(ctx.alloc(), HttpResponseStatus.INTERNAL_SERVER_ERROR,
                "internal_error", "internal error"), true);
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

    private static boolean isTlsNoise(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof javax.net.ssl.SSLException) {
                return true;
            }
        }
        return false;
    }

    private static void respond(ChannelHandlerContext ctx, FullHttpRequest req, FullHttpResponse response,
                                boolean keepAliveAllowed) {
        respond(ctx, keepAliveAllowed && HttpUtil.isKeepAlive(req), response);
    }

    static void respond(ChannelHandlerContext ctx, boolean keepAlive, FullHttpResponse response) {
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
            log.atDebug().addKeyValue(Logs.CONNECTION, ctx.channel().id().asShortText())
                    .log("TLS handshake failed: {}", cause.getClass().getSimpleName());
        } else if (cause instanceof PrematureChannelClosureException) {
            // The aggregator's word for a client that left mid-request: the client's doing, not Herald's.
            log.atDebug().addKeyValue(Logs.CONNECTION, ctx.channel().id().asShortText())
                    .log("client closed mid-request");
        } else if (!(cause instanceof java.io.IOException)) {
            // Only the type: a message may quote the request target, and with it a token (§2).
            log.atWarn().addKeyValue(Logs.CONNECTION, ctx.channel().id().asShortText()).log("HTTP error {} at {}",
                    cause.getClass().getName(), cause.getStackTrace().length > 0 ? cause.getStackTrace()[0] : "?");
        }
        ctx.close();
    }
}
