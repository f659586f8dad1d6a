package io.herald.transport;

import io.herald.api.HttpResponses;
import io.herald.auth.BearerTokens;
import io.herald.auth.InvalidTokenException;
import io.herald.auth.Principal;
import io.herald.auth.TokenVerifier;
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

/**
 * One WebSocket upgrade request, handled once: {@link HttpRouter} puts it behind itself for that request and hands
 * it the request. In order: the RFC 6455 version and method, the dialect's own refusal, the origin (§8.5, 403), the
 * connection cap (§1, 503), the credentials (§2); then it puts the WebSocket stages in place of the HTTP ones and of
 * itself <em>before</em> the 101 (so bytes right behind the request reach the dialect), writes the 101, and fires a
 * {@link Handshake} event down the new pipeline: the connection opens, or is closed with its refusal (4401, 4403).
 * The token is never logged.
 */
final class WebSocketUpgrade extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(WebSocketUpgrade.class);

    /** What every upgrade needs, shared. */
    record Settings(TokenVerifier verifier, ConnectionCore core, OriginPolicy origins, int maxFrame,
                    WebSocketDecoderConfig decoderConfig) {
    }

    private final Settings settings;
    private final Routes.DialectMatch match;
    private final QueryStringDecoder query;

    WebSocketUpgrade(Settings settings, Routes.DialectMatch match, QueryStringDecoder query) {
        this.settings = settings;
        this.match = match;
        this.query = query;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        FullHttpRequest req = (FullHttpRequest) msg;
        try {
            upgrade(ctx, req);
        } finally {
            req.release();
        }
    }

    private void upgrade(ChannelHandlerContext ctx, FullHttpRequest req) {
        // Every frame is bounded by maxFrame; fragments together by the aggregator (§8.4).
        // RFC 6455 only: Netty would also speak the hybi drafts (versions 7 and 8).
        WebSocketServerHandshaker handshaker = "13".equals(req.headers().get(HttpHeaderNames.SEC_WEBSOCKET_VERSION))
                ? new WebSocketServerHandshakerFactory(wsUrl(req), null, settings.decoderConfig()).newHandshaker(req) : null;
        if (handshaker == null) {
            ctx.pipeline().remove(this); // the client may retry with version 13 on this connection
            WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel());
            return;
        }
        if (!HttpMethod.GET.equals(req.method())) {
            refuse(ctx, HttpResponses.methodNotAllowed(ctx.alloc(), "GET"));
            return;
        }
        Dialect<?> dialect = match.dialect();
        Refusal refused = dialect.refuseUpgrade(req, query);
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
            handshake(ctx, req, handshaker, new DialectHandler(continued, transport), transport, Handshake.OPEN, null);
            return;
        }
        if (!core.connections().tryAdmit()) {
            refuse(ctx, HttpResponses.error(ctx.alloc(), HttpResponseStatus.SERVICE_UNAVAILABLE, "at_capacity",
                    "too many connections, retry later"));
            return;
        }
        Principal verified = null;
        String why = null;
        try {
            verified = settings.verifier().verify(dialect.upgradeToken(req, query));
        } catch (InvalidTokenException e) {
            why = e.getMessage();
        }
        long deadline = verified == null ? Long.MAX_VALUE : settings.verifier().deadline(verified).toEpochMilli();
        Connection<?> connection = newConnection(transport, dialect, verified, deadline,
                dialect.connectionParameter(query, match.parameter()), core);
        connection.admitted(); // given back when the connection ends, whatever happens to the handshake
        Disconnect denied = verified == null
                ? (dialect.authenticatesInBand() ? null : Disconnect.UNAUTHORIZED)
                : admit(connection);
        handshake(ctx, req, handshaker, new DialectHandler(connection, transport), transport,
                denied == null ? Handshake.OPEN : new Handshake(denied), why);
    }

    private static <S> Connection<S> newConnection(WebSocketTransport t, Dialect<S> dialect, Principal principal,
                                                   long deadline, String parameter, ConnectionCore core) {
        return new Connection<>(t, dialect, principal, deadline, parameter, core);
    }

    private static <S> Disconnect admit(Connection<S> c) {
        return c.dialect().admit(c);
    }

    /**
     * Installs the WebSocket stages (this handler and the HTTP ones leave), writes the 101, then fires
     * {@code outcome} down the pipeline.
     */
    private void handshake(ChannelHandlerContext ctx, FullHttpRequest req, WebSocketServerHandshaker handshaker,
                           DialectHandler handler, WebSocketTransport transport, Handshake outcome, String why) {
        Channel channel = ctx.channel();
        WebSocketPipeline.install(channel.pipeline(), transport, handler, settings.maxFrame());
        ctx.pipeline().remove(this);
        ChannelFuture written;
        try {
            written = handshaker.handshake(channel, req);
        } catch (WebSocketServerHandshakeException e) {
            // RFC 6455 §4.2.1: a malformed opening handshake (no key, no Connection: Upgrade) is a 400. The
            // HTTP encoder is still in place: only the decoder is swapped once a handshake is under way.
            channel.writeAndFlush(HttpResponses.error(ctx.alloc(), HttpResponseStatus.BAD_REQUEST, "bad_request",
                    "invalid WebSocket handshake")).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        String target = outcome.refusal() != null && log.isDebugEnabled() ? BearerTokens.redact(req.uri()) : null;
        written.addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                channel.close();
                return;
            }
            if (target != null) {
                log.debug("{} {} refused: {} ({})", channel.id().asShortText(), target, outcome.refusal(),
                        why != null ? why : outcome.refusal().reason());
            }
            channel.pipeline().fireUserEventTriggered(outcome);
        });
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
