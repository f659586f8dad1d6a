package io.herald.protocol.socketio;

import io.herald.api.HttpEndpoint;
import io.herald.api.HttpResponses;
import io.herald.auth.Principal;
import io.herald.auth.Authentication;
import io.herald.auth.Authenticator;
import io.herald.auth.Credentials;
import io.herald.protocol.Connection;
import io.herald.protocol.ConnectionCore;
import io.herald.protocol.Disconnect;
import io.herald.transport.OriginPolicy;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.concurrent.EventExecutor;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Engine.IO v4 HTTP long-polling (§7) as an ordinary HTTP endpoint: the handshake ({@code GET ?EIO=4&transport=polling})
 * makes a {@link Connection} over a {@link PollingTransport} on the request's loop; then {@code GET}/{@code POST
 * ...&sid=} reach it from any channel (they hop onto its loop) or, through the {@link PollingRelay}, from another
 * instance. Errors are the reference server's: 400 with {@code {"code","message"}}.
 */
final class PollingEndpoint implements HttpEndpoint, PollingTransport.Host {
    private final ConcurrentHashMap<String, Connection<SioState>> sessions = new ConcurrentHashMap<>();
    /**
     * Sessions the client closed (packet {@code 1}) in the last moment: a poll that was already on its way when the
     * close overtook it on another connection still ends with a noop, as if it had arrived first, not a 400.
     */
    private final ConcurrentHashMap<String, Long> closedByClient = new ConcurrentHashMap<>();
    private static final long CLOSE_GRACE_NANOS = 200_000_000L;
    private final SocketIoDialect dialect;
    private final Authenticator authenticator;
    private final OriginPolicy origins;
    private final PollingRelay relay = new PollingRelay(this);
    private volatile ConnectionCore core;

    PollingEndpoint(SocketIoDialect dialect, Authenticator authenticator, OriginPolicy origins) {
        this.dialect = dialect;
        this.authenticator = authenticator;
        this.origins = origins;
    }

    void useCore(ConnectionCore core) {
        this.core = core;
    }

    PollingRelay relay() {
        return relay;
    }

    /** The long-polling session {@code sid} names on this instance, or null. */
    Connection<SioState> get(String sid) {
        return sid == null ? null : sessions.get(sid);
    }

    SocketIoSettings settings() {
        return dialect.settings();
    }

    @Override
    public void forget(String sid, PollingTransport t) {
        sessions.computeIfPresent(sid, (k, c) -> c.state().polling == t ? null : c);
    }

    @Override
    public void closedByClient(String sid) {
        long now = System.nanoTime();
        closedByClient.values().removeIf(t -> now - t > CLOSE_GRACE_NANOS);
        closedByClient.put(sid, now);
    }

    @Override
    public void pollArrived(String sid) {
        closedByClient.remove(sid);
    }

    @Override
    public Duration linger() {
        return dialect.settings().pingInterval().plus(dialect.settings().pingTimeout());
    }

    @Override
    public CompletionStage<FullHttpResponse> handle(FullHttpRequest request, ByteBufAllocator alloc) {
        throw new UnsupportedOperationException("long-polling needs the request's loop");
    }

    @Override
    public CompletionStage<FullHttpResponse> handle(FullHttpRequest req, ByteBufAllocator alloc, EventExecutor loop) {
        return handle(req, alloc, loop, null);
    }

    @Override
    public CompletionStage<FullHttpResponse> handle(FullHttpRequest req, ByteBufAllocator alloc, EventExecutor loop,
                                                    String remoteAddr) {
        QueryStringDecoder query = new QueryStringDecoder(req.uri());
        // §7/§8.5: a browser origin that is not allowed gets 403; an allowed one gets CORS answers.
        String origin = req.headers().get(HttpHeaderNames.ORIGIN);
        if (origin != null && !origins.allows(req)) {
            return refuse(alloc, EngineIo.FORBIDDEN, null);
        }
        if (HttpMethod.OPTIONS.equals(req.method())) {
            FullHttpResponse preflight = EngineIo.preflight(origin, req.headers().get(HttpHeaderNames.ACCESS_CONTROL_REQUEST_HEADERS));
            preflight.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            return CompletableFuture.completedFuture(preflight);
        }
        List<String> eio = query.parameters().get("EIO");
        if (eio == null || !"4".equals(eio.get(0))) {
            return refuse(alloc, EngineIo.UNSUPPORTED_PROTOCOL_VERSION, origin);
        }
        List<String> transport = query.parameters().get("transport");
        if (transport == null || !"polling".equals(transport.get(0))) {
            return refuse(alloc, EngineIo.UNKNOWN_TRANSPORT, origin);
        }
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        List<String> sidParam = query.parameters().get("sid");
        if (sidParam == null) {
            if (!HttpMethod.GET.equals(req.method())) {
                return refuse(alloc, EngineIo.BAD_HANDSHAKE_METHOD, origin);
            }
            return handshake(req, query, alloc, loop, keepAlive, origin, remoteAddr);
        }
        String sid = sidParam.get(0);
        boolean post = HttpMethod.POST.equals(req.method());
        if (!post && !HttpMethod.GET.equals(req.method())) {
            return refuse(alloc, EngineIo.BAD_REQUEST, origin);
        }
        CompletableFuture<FullHttpResponse> answer = new CompletableFuture<>();
        PollingTransport.Reply reply = local(answer, alloc, keepAlive, origin);
        String body = post ? req.content().toString(StandardCharsets.UTF_8) : null; // copied: the router releases req
        CompletableFuture<String> requester = requester(req, query, remoteAddr);
        if (requester.isDone()) {
            route(loop, reply, sid, post, body, requester.join());
        } else { // §12: opaque credentials, asked of the auth proxy (a cache hit once the session's own were)
            requester.thenAcceptAsync(user -> route(loop, reply, sid, post, body, user), loop);
        }
        return answer;
    }

    /** The request of {@code requester} (null: no valid credentials) for session {@code sid}, wherever it lives. */
    private void route(EventExecutor loop, PollingTransport.Reply reply, String sid, boolean post, String body,
                       String requester) {
        Connection<SioState> c = sessions.get(sid); // a body over maxPayload never gets here: see bodyTooLarge
        if (c == null && relay.forward(loop, reply, sid, post, body, requester)) {
            return; // another instance's session: the relay answers (§7 without sticky sessions)
        }
        if (c == null) {
            Long closedAt = closedByClient.remove(sid);
            if (closedAt != null && System.nanoTime() - closedAt < CLOSE_GRACE_NANOS && !post) {
                reply.okAndClose("6");
            } else {
                reply.error(EngineIo.UNKNOWN_SID);
            }
            return;
        }
        serve(c, requester, post, body, reply);
    }

    /** A request for a local session, from this instance's clients or forwarded by another instance's relay. */
    void serve(Connection<SioState> c, String requester, boolean post, String body, PollingTransport.Reply reply) {
        if (!sameUser(c, requester)) {
            reply.error(EngineIo.FORBIDDEN); // §7: credentials of another user than the session's
            return;
        }
        c.execute(() -> {
            PollingTransport t = c.state().polling;
            if (t == null || c.transport() != t) {
                reply.error(EngineIo.UNKNOWN_SID); // upgraded meanwhile: the sid is the WebSocket's now
                return;
            }
            c.received(false); // §8.1: a request is a sign of life
            boolean wasClosing = c.isClosing();
            dialect.heartbeat(c, System.nanoTime()); // a pong overdue ends the session before this request is served
            if (!wasClosing && c.isClosing()) {
                reply.error(EngineIo.UNKNOWN_SID);
                return;
            }
            if (post) {
                t.post(reply, body);
            } else {
                t.poll(reply);
            }
        });
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
        Connection<SioState> c = sid == null ? null : sessions.get(sid.get(0));
        if (c != null) {
            c.execute(() -> c.close(Disconnect.TOO_BIG));
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
        Authentication a = authenticator.local(token); // opaque credentials are the session's own: its sid names it
        return a.accepted() ? a.principal().subject() : null;
    }

    /**
     * {@link #requester(HttpRequest, QueryStringDecoder)}, and with an auth proxy (§12) also for opaque credentials: the
     * user the backend says they are, or null when it refuses them or cannot say.
     */
    CompletableFuture<String> requester(HttpRequest req, QueryStringDecoder query, String remoteAddr) {
        String token = SocketIoDialect.tokenOf(req, query);
        if (!authenticator.proxied() || (token != null && Authenticator.isJws(token))) {
            return CompletableFuture.completedFuture(requester(req, query));
        }
        List<String> q = query.parameters().get("token");
        Credentials credentials = Credentials.of(dialect.endpoint().label(), q == null || q.isEmpty() ? null : q.get(0),
                req.headers(), authenticator.forwardedHeaders(), remoteAddr);
        if (credentials.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        return authenticator.authenticate(null, credentials).thenApply(a -> a.accepted() ? a.principal().subject() : null);
    }

    /** §7: false when {@code requester} (see {@link #requester}) is another user than the session's. */
    static boolean sameUser(Connection<SioState> c, String requester) {
        String owner = c.state().subject;
        return requester == null || owner == null || requester.equals(owner);
    }

    private CompletionStage<FullHttpResponse> handshake(FullHttpRequest req, QueryStringDecoder query, ByteBufAllocator alloc,
                                                        EventExecutor loop, boolean keepAlive, String origin,
                                                        String remoteAddr) {
        // §7: a JWS now; other credentials, or auth.token, at CONNECT (§12: the auth proxy is asked there)
        Principal principal = null;
        String token = SocketIoDialect.tokenOf(req, query);
        if (token != null && (!authenticator.proxied() || Authenticator.isJws(token))) {
            Authentication a = authenticator.local(token);
            principal = a.accepted() ? a.principal() : null; // CONNECT may still bring a valid one (§7)
        }
        if (!core.connections().tryAdmit()) { // §7: a polling session counts under HERALD_MAX_CONNECTIONS
            return CompletableFuture.completedFuture(EngineIo.cors(closing(HttpResponses.error(alloc,
                    HttpResponseStatus.SERVICE_UNAVAILABLE, "at_capacity", "too many connections, retry later")), origin));
        }
        long deadline = principal == null ? Long.MAX_VALUE : authenticator.deadlineMillis(principal);
        PollingTransport t = new PollingTransport(loop, alloc, this);
        Connection<SioState> c = new Connection<>(t, dialect, principal, deadline, null, core);
        c.admitted();
        if (authenticator.proxied()) {
            List<String> q = query.parameters().get("token");
            c.keepCredentials(Credentials.of(dialect.endpoint().label(), q == null || q.isEmpty() ? null : q.get(0),
                    req.headers(), authenticator.forwardedHeaders(), remoteAddr));
        }
        SioState s = c.state();
        s.polling = t;
        s.subject = principal == null ? null : principal.subject();
        t.serve(s.sid, packet -> dialect.receive(c, packet, false));
        sessions.put(s.sid, c);
        c.open(); // §7: held to §8 like any connection (idle, expiry, cap, drain, §10)
        return CompletableFuture.completedFuture(response(alloc, keepAlive, dialect.openPacket(s.sid, true), origin));
    }

    private static CompletionStage<FullHttpResponse> refuse(ByteBufAllocator alloc, int code, String origin) {
        return CompletableFuture.completedFuture(EngineIo.cors(EngineIo.error(alloc, code), origin));
    }

    private static FullHttpResponse closing(FullHttpResponse r) {
        r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        return r;
    }

    static FullHttpResponse response(ByteBufAllocator alloc, boolean keepAlive, String body, String corsOrigin) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                ByteBufUtil.writeUtf8(alloc, body));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=UTF-8")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, r.content().readableBytes());
        EngineIo.cors(r, corsOrigin);
        return keepAlive ? r : closing(r);
    }

    /**
     * A request answered on its own channel, through the router; {@code corsOrigin}, when not null, is the browser
     * origin §8.5 allowed, named in the answer's CORS headers (§7).
     */
    static PollingTransport.Reply local(CompletableFuture<FullHttpResponse> answer, ByteBufAllocator alloc,
                                        boolean keepAlive, String corsOrigin) {
        return new PollingTransport.Reply() {
            @Override
            public boolean ok(String body) {
                return complete(response(alloc, keepAlive, body, corsOrigin));
            }

            @Override
            public void okAndClose(String body) {
                complete(response(alloc, false, body, corsOrigin));
            }

            @Override
            public void error(int code) {
                complete(EngineIo.cors(EngineIo.error(alloc, code), corsOrigin));
            }

            @Override
            public void onAbandoned(Runnable r) {
                answer.whenComplete((v, failure) -> {
                    if (failure instanceof CancellationException) {
                        r.run();
                    }
                });
            }

            private boolean complete(FullHttpResponse r) {
                if (!answer.complete(r)) {
                    r.release(); // the client went first
                    return false;
                }
                return true;
            }
        };
    }
}
