package io.herald.protocol.socketio;

import io.herald.auth.InvalidTokenException;
import io.herald.auth.Principal;
import io.herald.auth.TokenVerifier;
import io.herald.protocol.ConnectionCore;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Engine.IO v4 HTTP long-polling (§7): the handshake ({@code GET ?EIO=4&transport=polling}), then
 * {@code GET}/{@code POST ...&sid=} on the session, which may live on another event loop than the request's
 * channel. Errors are the reference server's: 400 with {@code {"code","message"}}.
 */
final class PollingTransport {
    private final ConcurrentHashMap<String, PollingSession> sessions = new ConcurrentHashMap<>();
    /**
     * Sessions the client closed (packet {@code 1}) in the last moment: a poll that was already on its way when the
     * close overtook it on another connection still ends with a noop, as if it had arrived first, not a 400.
     */
    private final ConcurrentHashMap<String, Long> closedByClient = new ConcurrentHashMap<>();
    private static final long CLOSE_GRACE_NANOS = 200_000_000L;
    private final SocketIoDialect dialect;
    private final TokenVerifier verifier;
    private volatile ConnectionCore core;
    private final PollingRelay relay = new PollingRelay(this);

    PollingTransport(SocketIoDialect dialect, TokenVerifier verifier) {
        this.dialect = dialect;
        this.verifier = verifier;
    }

    void useCore(ConnectionCore core) {
        this.core = core;
    }

    /** With a broker that relays (Redis), requests for other instances' sessions are forwarded there. */
    void useRelay(io.herald.broker.Broker broker) {
        relay.open(broker);
    }

    PollingSession get(String sid) {
        return sid == null ? null : sessions.get(sid);
    }

    void remove(String sid, PollingSession s) {
        sessions.remove(sid, s);
    }

    void closedByClient(String sid) {
        long now = System.nanoTime();
        closedByClient.values().removeIf(t -> now - t > CLOSE_GRACE_NANOS);
        closedByClient.put(sid, now);
    }

    void forgetClosed(String sid) {
        closedByClient.remove(sid);
    }

    SocketIoSettings settings() {
        return dialect.settings();
    }

    /** §10: every polling session subscribed to one of {@code topics} gets {@code force_sync}, on its own loop. */
    void forceSync(java.util.Set<String> topics) {
        for (PollingSession s : sessions.values()) {
            s.execute(() -> s.forceSync(topics));
        }
    }


    void handle(ChannelHandlerContext ctx, FullHttpRequest req, QueryStringDecoder query) {
        List<String> eio = query.parameters().get("EIO");
        if (eio == null || !"4".equals(eio.get(0))) {
            refuse(ctx, EngineIo.UNSUPPORTED_PROTOCOL_VERSION);
            return;
        }
        List<String> transport = query.parameters().get("transport");
        if (transport == null || !"polling".equals(transport.get(0))) {
            refuse(ctx, EngineIo.UNKNOWN_TRANSPORT);
            return;
        }
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        List<String> sidParam = query.parameters().get("sid");
        if (sidParam == null) {
            if (!HttpMethod.GET.equals(req.method())) {
                refuse(ctx, EngineIo.BAD_HANDSHAKE_METHOD);
                return;
            }
            handshake(ctx, req, query, keepAlive);
            return;
        }
        if (HttpMethod.POST.equals(req.method()) && req.content().readableBytes() > dialect.settings().maxPayload()) {
            refuse(ctx, EngineIo.BAD_REQUEST);
            PollingSession big = sessions.get(sidParam.get(0));
            if (big != null) {
                big.execute(() -> big.close(io.herald.protocol.Disconnect.TOO_BIG));
            }
            return;
        }
        PollingSession s = sessions.get(sidParam.get(0));
        if (s == null && relay.forward(ctx, req, sidParam.get(0), keepAlive)) {
            return; // another instance's session: the relay answers (§7 without sticky sessions)
        }
        if (s == null) {
            Long closedAt = closedByClient.remove(sidParam.get(0));
            if (closedAt != null && System.nanoTime() - closedAt < CLOSE_GRACE_NANOS && HttpMethod.GET.equals(req.method())) {
                PollingSession.respond(ctx, false, "6");
                return;
            }
            refuse(ctx, EngineIo.UNKNOWN_SID);
            return;
        }
        if (HttpMethod.GET.equals(req.method())) {
            PollingSession.Reply reply = PollingSession.local(ctx, keepAlive);
            s.execute(() -> s.poll(reply));
        } else if (HttpMethod.POST.equals(req.method())) {
            if (req.content().readableBytes() > dialect.settings().maxPayload()) {
                refuse(ctx, EngineIo.BAD_REQUEST);
                s.execute(() -> s.close(io.herald.protocol.Disconnect.TOO_BIG));
                return;
            }
            String body = req.content().toString(StandardCharsets.UTF_8); // copied: the router releases req
            PollingSession.Reply reply = PollingSession.local(ctx, keepAlive);
            s.execute(() -> s.post(reply, body));
        } else {
            refuse(ctx, EngineIo.BAD_REQUEST);
        }
    }

    private void handshake(ChannelHandlerContext ctx, FullHttpRequest req, QueryStringDecoder query, boolean keepAlive) {
        Principal upgradePrincipal = null;
        String token = SocketIoDialect.tokenOf(req, query);
        if (token != null) {
            try {
                upgradePrincipal = verifier.verify(token);
            } catch (InvalidTokenException e) {
                upgradePrincipal = null; // CONNECT may still bring a valid one (§7)
            }
        }
        PollingSession s = new PollingSession(dialect, core, this, ctx.executor(), upgradePrincipal, relay.tag());
        sessions.put(s.session.sid, s);
        PollingSession.respond(ctx, keepAlive, dialect.openPacket(s.session.sid, true));
    }

    private static void refuse(ChannelHandlerContext ctx, int code) {
        ctx.writeAndFlush(EngineIo.error(ctx.alloc(), code)).addListener(ChannelFutureListener.CLOSE);
    }
}
