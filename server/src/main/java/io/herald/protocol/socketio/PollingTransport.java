package io.herald.protocol.socketio;

import io.herald.auth.InvalidTokenException;
import io.herald.auth.Principal;
import io.herald.api.HttpResponses;
import io.herald.auth.TokenVerifier;
import io.herald.protocol.ConnectionCore;
import io.herald.protocol.Disconnect;
import io.herald.transport.OriginPolicy;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
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

    private final OriginPolicy origins;

    PollingTransport(SocketIoDialect dialect, TokenVerifier verifier, OriginPolicy origins) {
        this.dialect = dialect;
        this.verifier = verifier;
        this.origins = origins;
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

    void handle(ChannelHandlerContext ctx, FullHttpRequest req, QueryStringDecoder query) {
        // §7/§8.5: a browser origin that is not allowed gets 403; an allowed one gets CORS answers.
        String origin = req.headers().get(HttpHeaderNames.ORIGIN);
        if (origin != null && !origins.allows(req)) {
            refuse(ctx, EngineIo.FORBIDDEN, null);
            return;
        }
        if (HttpMethod.OPTIONS.equals(req.method())) {
            ctx.writeAndFlush(EngineIo.preflight(origin, req.headers().get(HttpHeaderNames.ACCESS_CONTROL_REQUEST_HEADERS)))
                    .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        List<String> eio = query.parameters().get("EIO");
        if (eio == null || !"4".equals(eio.get(0))) {
            refuse(ctx, EngineIo.UNSUPPORTED_PROTOCOL_VERSION, origin);
            return;
        }
        List<String> transport = query.parameters().get("transport");
        if (transport == null || !"polling".equals(transport.get(0))) {
            refuse(ctx, EngineIo.UNKNOWN_TRANSPORT, origin);
            return;
        }
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        List<String> sidParam = query.parameters().get("sid");
        if (sidParam == null) {
            if (!HttpMethod.GET.equals(req.method())) {
                refuse(ctx, EngineIo.BAD_HANDSHAKE_METHOD, origin);
                return;
            }
            handshake(ctx, req, query, keepAlive, origin);
            return;
        }
        String sid = sidParam.get(0);
        boolean post = HttpMethod.POST.equals(req.method());
        if (!post && !HttpMethod.GET.equals(req.method())) {
            refuse(ctx, EngineIo.BAD_REQUEST, origin);
            return;
        }
        PollingSession s = sessions.get(sid); // a body over maxPayload never gets here: see bodyTooLarge
        if (s == null && relay.forward(ctx, req, sid, keepAlive, origin, requester(req, query))) {
            return; // another instance's session: the relay answers (§7 without sticky sessions)
        }
        if (s == null) {
            Long closedAt = closedByClient.remove(sid);
            if (closedAt != null && System.nanoTime() - closedAt < CLOSE_GRACE_NANOS && !post) {
                PollingSession.respond(ctx, false, "6", origin);
                return;
            }
            refuse(ctx, EngineIo.UNKNOWN_SID, origin);
            return;
        }
        if (!sameUser(s, requester(req, query))) {
            refuse(ctx, EngineIo.FORBIDDEN, origin); // §7: credentials of another user than the session's
            return;
        }
        PollingSession.Reply reply = PollingSession.local(ctx, keepAlive, origin);
        if (post) {
            String body = req.content().toString(StandardCharsets.UTF_8); // copied: the router releases req
            s.execute(() -> s.post(reply, body));
        } else {
            s.execute(() -> s.poll(reply));
        }
    }

    /**
     * §7: a POST over maxPayload, refused 413 by its route's body bound before it was read, ends its session
     * (a local one; another instance's session learns nothing of a request that was never forwarded).
     */
    void bodyTooLarge(String uri) {
        List<String> sid;
        try {
            sid = new QueryStringDecoder(uri).parameters().get("sid");
        } catch (IllegalArgumentException e) {
            return;
        }
        PollingSession s = sid == null ? null : sessions.get(sid.get(0));
        if (s != null) {
            s.execute(() -> s.close(Disconnect.TOO_BIG));
        }
    }

    /**
     * The user the request's credentials (§2 sources) verify as, or null: none, or ones that do not verify. A
     * request without valid credentials is the session's own, as Engine.IO has it: its sid is what names it.
     */
    String requester(HttpRequest req, QueryStringDecoder query) {
        String token = SocketIoDialect.tokenOf(req, query);
        if (token == null) {
            return null;
        }
        try {
            return verifier.verify(token).subject();
        } catch (InvalidTokenException e) {
            return null;
        }
    }

    /** §7: false when {@code requester} (see {@link #requester}) is another user than the session's. */
    static boolean sameUser(PollingSession s, String requester) {
        Principal owner = s.principal();
        return requester == null || owner == null || requester.equals(owner.subject());
    }

    private void handshake(ChannelHandlerContext ctx, FullHttpRequest req, QueryStringDecoder query, boolean keepAlive,
                           String origin) {
        Principal upgradePrincipal = null;
        String token = SocketIoDialect.tokenOf(req, query);
        if (token != null) {
            try {
                upgradePrincipal = verifier.verify(token);
            } catch (InvalidTokenException e) {
                upgradePrincipal = null; // CONNECT may still bring a valid one (§7)
            }
        }
        if (!core.connections().tryAdmit()) { // §7: a polling session counts under HERALD_MAX_CONNECTIONS
            ctx.writeAndFlush(EngineIo.cors(HttpResponses.error(ctx.alloc(), HttpResponseStatus.SERVICE_UNAVAILABLE, "at_capacity",
                    "too many connections, retry later"), origin)).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        long deadline = upgradePrincipal == null ? Long.MAX_VALUE : verifier.deadline(upgradePrincipal).toEpochMilli();
        PollingSession s = new PollingSession(dialect, core, this, ctx.executor(), upgradePrincipal, deadline, relay.tag());
        sessions.put(s.session.sid, s);
        PollingSession.respond(ctx, keepAlive, dialect.openPacket(s.session.sid, true), origin);
    }

    private static void refuse(ChannelHandlerContext ctx, int code, String origin) {
        ctx.writeAndFlush(EngineIo.cors(EngineIo.error(ctx.alloc(), code), origin)).addListener(ChannelFutureListener.CLOSE);
    }
}
