package io.herald.transport;

import io.herald.api.HttpResponses;
import io.herald.auth.Authentication;
import io.herald.auth.Authenticator;
import io.herald.auth.BearerTokens;
import io.herald.auth.Credentials;
import io.herald.logging.Logs;
import io.herald.protocol.Connection;
import io.herald.protocol.ConnectionCore;
import io.herald.protocol.Dialect;
import io.herald.protocol.DialectHandler;
import io.herald.protocol.Disconnect;
import io.herald.protocol.Handshake;
import io.herald.protocol.Refusal;
import io.herald.protocol.WebSocketTransport;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakeException;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/**
 * One WebSocket upgrade request, handled once: {@link HttpRouter} puts it behind itself for that request and hands
 * it the request. In order: the RFC 6455 version and method, the dialect's own refusal (which may wait for the auth
 * proxy, §12, reading nothing meanwhile), the origin (§8.5, 403), the
 * connection cap (§1, 503), the credentials (§2); then it puts the WebSocket stages in place of the HTTP ones and of
 * itself <em>before</em> the 101 (so bytes right behind the request reach the dialect), writes the 101, and fires a
 * {@link Handshake} event down the new pipeline: the connection opens, or is closed with its refusal (4401, 4403).
 * The token is never logged.
 */
final class WebSocketUpgrade extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(WebSocketUpgrade.class);

    /** What every upgrade needs, shared. */
    record Settings(Authenticator authenticator, ConnectionCore core, OriginPolicy origins, int maxFrame,
                    WebSocketDecoderConfig decoderConfig, boolean compression) {
    }

    private final Settings settings;
    private final Routes.DialectMatch match;
    private final QueryStringDecoder query;
    /** Reading was paused while the dialect decided (§12: it asked the auth proxy); resumed once the 101 is out. */
    private boolean readPaused;
    /** RFC 7692 permessage-deflate as agreed for this upgrade, or null. */
    private Compression.Agreed deflate;

    WebSocketUpgrade(Settings settings, Routes.DialectMatch match, QueryStringDecoder query) {
        this.settings = settings;
        this.match = match;
        this.query = query;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        FullHttpRequest req = (FullHttpRequest) msg;
        boolean kept = false;
        try {
            kept = upgrade(ctx, req);
        } finally {
            if (!kept) {
                req.release();
            }
        }
    }

    /** Returns true when it kept {@code req} to finish later (and releases it then). */
    private boolean upgrade(ChannelHandlerContext ctx, FullHttpRequest req) {
        // Every frame is bounded by maxFrame; fragments together by the aggregator (§8.4).
        // RFC 6455 only: Netty would also speak the hybi drafts (versions 7 and 8).
        boolean v13 = "13".equals(req.headers().get(HttpHeaderNames.SEC_WEBSOCKET_VERSION));
        deflate = v13 && settings.compression() ? Compression.negotiate(req.headers(), settings.maxFrame()) : null;
        WebSocketDecoderConfig decoding = deflate == null ? settings.decoderConfig()
                : settings.decoderConfig().toBuilder().allowExtensions(true).build(); // RSV1 marks a compressed message
        WebSocketServerHandshaker handshaker = v13
                ? new WebSocketServerHandshakerFactory(wsUrl(req), null, decoding).newHandshaker(req) : null;
        if (handshaker == null) {
            ctx.pipeline().remove(this); // the client may retry with version 13 on this connection
            WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel());
            return false;
        }
        if (!HttpMethod.GET.equals(req.method())) {
            refuse(ctx, HttpResponses.methodNotAllowed(ctx.alloc(), "GET"));
            return false;
        }
        Dialect<?> dialect = match.dialect();
        CompletableFuture<Refusal> refusal = dialect.refuseUpgrade(req, query, remoteAddress(ctx.channel()))
                .toCompletableFuture();
        if (refusal.isDone()) {
            decided(ctx, req, handshaker, dialect, refusal.isCompletedExceptionally() ? null : refusal.getNow(null));
            return false;
        }
        // the dialect asks the auth proxy (§12): nothing is read from the client until it has answered
        Channel channel = ctx.channel();
        channel.config().setAutoRead(false);
        readPaused = true; // until the handshake is written (or the connection refused and closed)
        refusal.whenCompleteAsync((refused, failure) -> {
            try {
                if (channel.isActive() && ctx.pipeline().context(this) != null) {
                    decided(ctx, req, handshaker, dialect, failure == null ? refused : null);
                }
            } catch (Throwable t) {
                // no caller to hand it to: what the synchronous path's exceptionCaught would do
                log.atWarn().addKeyValue(Logs.CONNECTION, channel.id().asShortText())
                        .log("upgrade failed: {}", t.toString());
                channel.close();
            } finally {
                req.release();
            }
        }, channel.eventLoop());
        return true;
    }

    /** The upgrade once the dialect said whether it refuses it: on the channel's loop. */
    private void decided(ChannelHandlerContext ctx, FullHttpRequest req, WebSocketServerHandshaker handshaker,
                         Dialect<?> dialect, Refusal refused) {
        if (refused != null) {
            refuse(ctx, render(refused));
            return;
        }
        if (!settings.origins().allows(req)) {
            refuse(ctx, HttpResponses.error(ctx.alloc(), HttpResponseStatus.FORBIDDEN, "origin_not_allowed",
                    "origin not allowed"));
            return;
        }
        Channel channel = ctx.channel();
        ConnectionCore core = settings.core();
        WebSocketTransport transport = new WebSocketTransport(channel, core.policy().closeHandshake().toMillis());
        Connection<?> continued = dialect.continues(query);
        if (continued != null) {
            // §7 Engine.IO upgrade: the WebSocket continues a long-polling session (the dialect checked it is the
            // same user's); it takes no place of its own under the cap and carries the session once it switches.
            handshake(ctx, req, handshaker, new DialectHandler(continued, transport), transport,
                    CompletableFuture.completedFuture(Handshake.OPEN), null);
            return;
        }
        if (!core.connections().tryAdmit()) {
            refuse(ctx, HttpResponses.error(ctx.alloc(), HttpResponseStatus.SERVICE_UNAVAILABLE, "at_capacity",
                    "too many connections, retry later"));
            return;
        }
        Authenticator auth = settings.authenticator();
        String token = dialect.upgradeToken(req, query);
        Credentials credentials = auth.proxied() ? Credentials.of(dialect.endpoint().label(), queryToken(query),
                req.headers(), auth.forwardedHeaders(), remoteAddress(channel)) : null;
        Connection<?> connection = newConnection(transport, dialect, null, Long.MAX_VALUE,
                dialect.connectionParameter(query, match.parameter()), core);
        connection.admitted(); // given back when the connection ends, whatever happens to the handshake
        if (dialect.authenticatesInBand()) {
            // §7: a JWS now; anything else (or nothing) at Socket.IO's CONNECT, which may bring auth.token and
            // answers a refusal in its own words (§12: the proxy is asked there, with these credentials)
            if (token != null && (!auth.proxied() || Authenticator.isJws(token))) {
                Authentication local = auth.local(token);
                if (local.accepted()) {
                    connection.refresh(local.principal(), auth.deadlineMillis(local.principal()));
                }
            }
            connection.keepCredentials(credentials);
            handshake(ctx, req, handshaker, new DialectHandler(connection, transport), transport,
                    CompletableFuture.completedFuture(Handshake.OPEN), null);
            return;
        }
        CompletableFuture<Authentication> checked = auth.authenticate(token, credentials);
        String[] why = new String[1];
        java.util.function.Function<Authentication, Handshake> decide = a -> {
            if (!a.accepted()) {
                why[0] = a.why();
                return new Handshake(a.failure() == Authentication.Failure.UNAVAILABLE
                        ? Disconnect.TRY_AGAIN_LATER : Disconnect.UNAUTHORIZED);
            }
            // on the channel's loop, before the connection opens: nothing else touches it yet
            connection.refresh(a.principal(), auth.deadlineMillis(a.principal()));
            connection.greetWith(a.greeting());
            Disconnect denied = admit(connection);
            return denied == null ? Handshake.OPEN : new Handshake(denied);
        };
        CompletableFuture<Handshake> outcome = checked.isDone()
                ? CompletableFuture.completedFuture(decide.apply(checked.join())) // a JWS: decided here and now
                : checked.thenApplyAsync(decide, channel.eventLoop()); // the backend answers on another loop
        handshake(ctx, req, handshaker, new DialectHandler(connection, transport), transport, outcome, why);
    }

    private static String queryToken(QueryStringDecoder query) {
        java.util.List<String> q = query.parameters().get("token");
        return q == null || q.isEmpty() ? null : q.get(0);
    }

    static String remoteAddress(Channel channel) {
        return channel.remoteAddress() instanceof java.net.InetSocketAddress a && a.getAddress() != null
                ? a.getAddress().getHostAddress() : null;
    }

    private static <S> Connection<S> newConnection(WebSocketTransport t, Dialect<S> dialect, io.herald.auth.Principal principal,
                                                   long deadline, String parameter, ConnectionCore core) {
        return new Connection<>(t, dialect, principal, deadline, parameter, core);
    }

    private static <S> Disconnect admit(Connection<S> c) {
        return c.dialect().admit(c);
    }

    /**
     * Installs the WebSocket stages (this handler and the HTTP ones leave), writes the 101, then fires the outcome
     * down the pipeline once both are there: at once for a JWS, when the auth proxy answered otherwise (§12), reading
     * nothing from the client meanwhile.
     */
    private void handshake(ChannelHandlerContext ctx, FullHttpRequest req, WebSocketServerHandshaker handshaker,
                           DialectHandler handler, WebSocketTransport transport, CompletableFuture<Handshake> outcome,
                           String[] why) {
        Channel channel = ctx.channel();
        WebSocketPipeline.install(channel.pipeline(), transport, handler, settings.maxFrame(),
                deflate == null ? null : deflate.inflater());
        HttpHeaders extensions = null;
        if (deflate != null) {
            transport.deflate();
            extensions = new DefaultHttpHeaders().set(HttpHeaderNames.SEC_WEBSOCKET_EXTENSIONS, deflate.responseHeader());
        }
        ctx.pipeline().remove(this);
        boolean waiting = !outcome.isDone();
        if (waiting) {
            channel.config().setAutoRead(false);
        }
        ChannelFuture written;
        try {
            written = handshaker.handshake(channel, req, extensions, channel.newPromise());
        } catch (WebSocketServerHandshakeException e) {
            // RFC 6455 §4.2.1: a malformed opening handshake (no key, no Connection: Upgrade) is a 400. The
            // HTTP encoder is still in place: only the decoder is swapped once a handshake is under way.
            channel.writeAndFlush(HttpResponses.error(ctx.alloc(), HttpResponseStatus.BAD_REQUEST, "bad_request",
                    "invalid WebSocket handshake")).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        String target = log.isDebugEnabled() ? BearerTokens.redact(req.uri()) : null;
        written.addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                channel.close();
                return;
            }
            boolean resume = waiting || readPaused;
            outcome.whenComplete((h, failure) -> inLoop(channel, () -> {
                Handshake result = failure != null ? new Handshake(Disconnect.INTERNAL_ERROR) : h;
                if (resume) {
                    channel.config().setAutoRead(true);
                }
                if (target != null && result.refusal() != null) {
                    log.atDebug().addKeyValue(Logs.CONNECTION, channel.id().asShortText())
                            .log("{} refused: {} ({})", target, result.refusal(),
                                    why != null && why[0] != null ? why[0] : result.refusal().reason());
                }
                channel.pipeline().fireUserEventTriggered(result);
            }));
        });
    }

    private static void inLoop(Channel channel, Runnable r) {
        if (channel.eventLoop().inEventLoop()) {
            r.run();
        } else {
            channel.eventLoop().execute(r);
        }
    }

    private static FullHttpResponse render(Refusal r) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(r.status()),
                Unpooled.copiedBuffer(r.json(), StandardCharsets.UTF_8));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
        return response;
    }

    /** An answer before any handshake: this handler leaves, and the connection closes once it is written. */
    private void refuse(ChannelHandlerContext ctx, FullHttpResponse response) {
        ctx.pipeline().remove(this);
        HttpRouter.respond(ctx, false, response);
    }

    private static String wsUrl(FullHttpRequest req) {
        String host = req.headers().get(HttpHeaderNames.HOST, "localhost");
        return "ws://" + host + new QueryStringDecoder(req.uri()).path();
    }
}
