package io.herald.protocol.socketio;

import io.herald.auth.BearerTokens;
import io.herald.auth.InvalidTokenException;
import io.herald.auth.Principal;
import io.herald.auth.TokenVerifier;
import io.herald.hub.Envelope;
import io.herald.hub.Topic;
import io.herald.protocol.Connection;
import io.herald.protocol.ConnectionCore;
import io.herald.protocol.Dialect;
import io.herald.protocol.Disconnect;
import io.herald.protocol.Endpoint;
import io.herald.protocol.TextFrames;
import io.herald.transport.OriginPolicy;
import io.herald.transport.RouteSpec;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.cookie.Cookie;
import io.netty.handler.codec.http.cookie.ServerCookieDecoder;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The Socket.IO endpoint over WebSocket, PROTOCOL.md §7: Engine.IO v4 framing (one packet per WebSocket text
 * frame) with Socket.IO v5 packets inside. A plug-in like the other dialects: the hub, broker, back-pressure,
 * idle and expiry rules are the shared core's; this class adds the Engine.IO heartbeat (the server pings, a late
 * pong closes the session), the Socket.IO handshake with in-band authentication, and rendering.
 *
 * <p>Auth (§2): the CONNECT {@code auth.token}, else the upgrade's {@code Authorization: Bearer},
 * {@code x-immich-user-token}, {@code token} query or {@code immich_access_token} cookie. Without a valid one
 * the client gets {@code 44{"message":"unauthorized"}} and the transport is closed.
 */
public final class SocketIoDialect implements Dialect {
    private static final SecureRandom RANDOM = new SecureRandom();
    static final String IMMICH_HEADER = "x-immich-user-token";
    static final String IMMICH_COOKIE = "immich_access_token";

    private final SocketIoSettings settings;
    private final TokenVerifier verifier;
    private final String openPayloadTail;
    private final PollingTransport polling;
    /** The conformance profile's bare Engine.IO echo server at {@code /engine.io/}: no Socket.IO layer. */
    private final boolean engineOnly;

    public SocketIoDialect(SocketIoSettings settings, TokenVerifier verifier, OriginPolicy origins) {
        this(settings, verifier, origins, false);
    }

    /** @param engineOnly Engine.IO only, echoing every message (the §7 conformance profile's {@code /engine.io/}) */
    public SocketIoDialect(SocketIoSettings settings, TokenVerifier verifier, OriginPolicy origins, boolean engineOnly) {
        this.settings = settings;
        this.verifier = verifier;
        this.engineOnly = engineOnly;
        this.polling = new PollingTransport(this, verifier, origins);
        this.openPayloadTail = ",\"pingInterval\":" + settings.pingInterval().toMillis()
                + ",\"pingTimeout\":" + settings.pingTimeout().toMillis() + ",\"maxPayload\":" + settings.maxPayload() + "}";
    }

    public SocketIoSettings settings() {
        return settings;
    }

    /** The shared core, for long-polling sessions (which are not WebSocket connections); set once at start. */
    public void useCore(ConnectionCore core) {
        polling.useCore(core);
    }

    /** With a broker that relays (Redis): long-polling requests may land on any instance (§7). */
    public void useRelay(io.herald.broker.Broker broker) {
        polling.useRelay(broker);
    }

    /**
     * The route of the Socket.IO paths (§7, §9): GET, POST and OPTIONS, bodies up to maxPayload, other methods
     * answered 400 by Engine.IO as its reference does, and a POST over maxPayload ending its session.
     */
    public RouteSpec route() {
        return RouteSpec.answeringEveryMethod(settings.maxPayload(), HttpMethod.GET, HttpMethod.POST, HttpMethod.OPTIONS)
                .whenTooLarge(polling::bodyTooLarge);
    }

    /** §7 long-polling: every plain HTTP request on the Socket.IO paths. */
    @Override
    public boolean handleHttp(ChannelHandlerContext ctx, FullHttpRequest request, QueryStringDecoder query) {
        polling.handle(ctx, request, query);
        return true;
    }

    /** The Engine.IO {@code sid} of a session this WebSocket upgrades, if any. */
    @Override
    public String connectionParameter(QueryStringDecoder query, String pathParameter) {
        List<String> sid = query.parameters().get("sid");
        return sid == null || sid.isEmpty() ? null : sid.get(0);
    }

    /** The Engine.IO session of one connection; touched on its loop only. */
    static final class Session {
        final String sid;

        Session() {
            this("");
        }

        Session(String sidPrefix) {
            this.sid = sidPrefix + newId();
        }

        final long openedNanos = System.nanoTime();
        long nextPingNanos;
        /** When the unanswered ping went out, or 0. */
        long pingSentNanos;
        /** Namespaces the client is connected to. */
        final Set<String> namespaces = new HashSet<>(2);
        /** Binary attachments still to come (and to be dropped) for a binary packet we refused. */
        int attachmentsToDrop;
        /** On a WebSocket that is upgrading a long-polling session: that session, until the client's 5. */
        PollingSession upgradingFrom;
        /** §7 profile: a binary event waiting for its attachments, and those received so far. */
        SioPacket binaryEvent;
        List<ByteBuf> attachments;

        void dropAttachments() {
            if (attachments != null) {
                attachments.forEach(ByteBuf::release);
                attachments = null;
                binaryEvent = null;
            }
        }
    }

    static String newId() {
        byte[] b = new byte[15];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    @Override
    public Endpoint endpoint() {
        return Endpoint.SOCKETIO;
    }

    @Override
    public boolean authenticatesInBand() {
        return true;
    }

    /** §2 for Socket.IO: the header wins, then Immich's header, then the query, then Immich's cookie. */
    @Override
    public String upgradeToken(HttpRequest request, QueryStringDecoder query) {
        return tokenOf(request, query);
    }

    static String tokenOf(HttpRequest request, QueryStringDecoder query) {
        String bearer = BearerTokens.fromHeader(request);
        if (bearer != null) {
            return bearer;
        }
        String immich = request.headers().get(IMMICH_HEADER);
        if (immich != null && !immich.isBlank()) {
            return immich.trim();
        }
        List<String> q = query.parameters().get("token");
        if (q != null && !q.isEmpty()) {
            return q.get(0);
        }
        String cookies = request.headers().get(HttpHeaderNames.COOKIE);
        if (cookies != null) {
            for (Cookie c : ServerCookieDecoder.LAX.decode(cookies)) {
                if (IMMICH_COOKIE.equals(c.name()) && !c.value().isEmpty()) {
                    return c.value();
                }
            }
        }
        return null;
    }

    /** Engine.IO's own answers to a bad request: HTTP 400 with its error code (§7 "as the reference does"). */
    @Override
    public FullHttpResponse refuseUpgrade(HttpRequest request, QueryStringDecoder query, ByteBufAllocator alloc) {
        List<String> eio = query.parameters().get("EIO");
        if (eio == null || !"4".equals(eio.get(0))) {
            return EngineIo.error(alloc, EngineIo.UNSUPPORTED_PROTOCOL_VERSION);
        }
        List<String> transport = query.parameters().get("transport");
        if (transport == null || !"websocket".equals(transport.get(0))) {
            return EngineIo.error(alloc, EngineIo.UNKNOWN_TRANSPORT);
        }
        List<String> sid = query.parameters().get("sid");
        PollingSession from = sid == null || sid.isEmpty() ? null : polling.get(sid.get(0));
        if (from != null && !PollingTransport.sameUser(from, polling.requester(request, query))) {
            return EngineIo.error(alloc, EngineIo.FORBIDDEN); // §7: another user's credentials on this session
        }
        return null; // a sid with no polling session to upgrade is closed right after the handshake, as the reference does
    }

    @Override
    public void onOpen(Connection c) {
        WsPeer peer = new WsPeer(c);
        c.attach(peer);
        Session s = peer.session;
        s.nextPingNanos = s.openedNanos + settings.pingInterval().toNanos();
        PollingSession from = polling.get(c.pathParameter());
        if (c.pathParameter() != null && (from == null || from.upgrading)) {
            c.close(Disconnect.NORMAL); // no such session, or another WebSocket is upgrading it
            return;
        }
        if (from != null) {
            s.upgradingFrom = from; // §7 upgrade: the client probes, then sends 5; no OPEN on this transport
            s.nextPingNanos = Long.MAX_VALUE;
            c.channel().closeFuture().addListener(f -> c.execute(() -> {
                if (s.upgradingFrom != null) { // this WebSocket died before the 5: polling goes on as before
                    PollingSession p = s.upgradingFrom;
                    s.upgradingFrom = null;
                    p.execute(() -> p.upgrading = false);
                }
            }));
            return;
        }
        peer.send(openPacket(s.sid, false));
    }

    /** The Engine.IO OPEN packet; polling sessions may upgrade to WebSocket. */
    String openPacket(String sid, boolean mayUpgrade) {
        return "0{\"sid\":\"" + sid + "\",\"upgrades\":" + (mayUpgrade ? "[\"websocket\"]" : "[]") + openPayloadTail;
    }

    /** A WebSocket connection as a Socket.IO peer. */
    private final class WsPeer implements SioPeer {
        final Connection c;
        final Session session = new Session();

        WsPeer(Connection c) {
            this.c = c;
        }

        @Override
        public Session session() {
            return session;
        }

        @Override
        public Principal principal() {
            return c.principal();
        }

        @Override
        public void authenticate(Principal p, long deadlineMillis) {
            c.refresh(p, deadlineMillis);
        }

        @Override
        public void send(String packet) {
            c.send(TextFrames.text(c.channel().alloc(), packet.getBytes(StandardCharsets.UTF_8)));
        }

        @Override
        public void close(Disconnect why) {
            c.close(why);
        }

        @Override
        public boolean isClosing() {
            return c.isClosing();
        }

        @Override
        public CompletionStage<Void> subscribe(Topic topic) {
            return c.subscribe(topic);
        }

        @Override
        public void unsubscribeAll() {
            c.unsubscribeAll();
        }

        @Override
        public void execute(Runnable task) {
            c.execute(task);
        }
    }

    /** The heartbeat of Engine.IO v4 over WebSocket, from the per-loop sweep. */
    @Override
    public void tick(Connection c, long now) {
        if (c.attachment() instanceof WsPeer peer) {
            heartbeat(peer, now);
        }
    }

    /**
     * Engine.IO v4: the server pings every pingInterval and waits pingTimeout for the pong; a session that never
     * sent CONNECT closes after connectTimeout; a polling session closes at its token's expiry (§8.2).
     */
    void heartbeat(SioPeer peer, long now) {
        Session s = peer.session();
        if (peer.isClosing() || s.upgradingFrom != null || overdue(peer, now)) {
            return;
        }
        if (s.pingSentNanos != 0) {
            if (now - s.pingSentNanos > settings.pingTimeout().toNanos()) {
                peer.close(Disconnect.PING_TIMEOUT);
            }
            return;
        }
        if (now >= s.nextPingNanos) {
            s.pingSentNanos = now;
            s.nextPingNanos = now + settings.pingInterval().toNanos();
            peer.send("2");
        }
    }

    /**
     * Closes a session that never sent CONNECT within connectTimeout (§7: 10 s; not on the bare Engine.IO server).
     * Expiry (§8.2) is the registry's, for both transports. True if closed.
     */
    boolean overdue(SioPeer peer, long now) {
        Session s = peer.session();
        if (!engineOnly && s.namespaces.isEmpty() && now - s.openedNanos > settings.connectTimeout().toNanos()) {
            peer.close(Disconnect.CONNECT_TIMEOUT);
            return true;
        }
        return false;
    }

    @Override
    public void onText(Connection c, ByteBuf utf8) {
        handle((WsPeer) c.attachment(), utf8.toString(StandardCharsets.UTF_8), true);
    }

    /** One Engine.IO packet from the client, over either transport. */
    void handle(SioPeer peer, String text, boolean websocket) {
        Session s = peer.session();
        if (text.isEmpty()) {
            peer.close(Disconnect.PROTOCOL_ERROR);
            return;
        }
        switch (text.charAt(0)) {
            case '3' -> {
                if (peer instanceof PollingSession ps) {
                    ps.pong();
                } else {
                    s.pingSentNanos = 0;
                }
            }
            case 'b' -> {
                if (engineOnly && !websocket) {
                    peer.send(text); // the bare Engine.IO echo: a base64 binary message back as it came
                } else if (s.attachmentsToDrop > 0) {
                    s.attachmentsToDrop--; // a polling attachment of a binary packet we refused
                } else {
                    peer.close(Disconnect.PROTOCOL_ERROR); // binary data nobody announced
                }
            }
            case '2' -> {
                // a client ping: over WebSocket the upgrade probe, answered with its payload
                if (websocket && "2probe".equals(text) && s.upgradingFrom != null) {
                    PollingSession from = s.upgradingFrom;
                    from.execute(from::probed); // a waiting poll ends with a noop so the client can pause polling
                }
                peer.send("3" + text.substring(1));
            }
            case '4' -> {
                if (engineOnly) {
                    peer.send(text); // the bare Engine.IO echo server of the conformance profile (§7)
                } else {
                    onMessage(peer, s, text.substring(1));
                }
            }
            case '5' -> {
                if (websocket && s.upgradingFrom != null) {
                    upgrade((WsPeer) peer);
                }
            }
            case '1' -> peer.close(Disconnect.NORMAL);
            case '6' -> {
                // noop
            }
            default -> peer.close(Disconnect.PROTOCOL_ERROR);
        }
    }

    /**
     * §7 upgrade from long-polling, after the client's {@code 5}: the WebSocket connection holds events back,
     * subscribes to the polling session's topics, the polling session leaves the hub and hands over what nobody
     * polled yet, and the connection writes that first, then what it held (without the publications both
     * received while they overlapped). Nothing is lost or reordered per topic; three hops between the two
     * loops, once per upgrade.
     */
    private void upgrade(WsPeer peer) {
        Connection c = peer.c;
        Session s = peer.session;
        PollingSession from = s.upgradingFrom;
        s.upgradingFrom = null;
        polling.remove(from.session.sid, from); // from now on requests with this sid get 400, as the reference does
        c.hold();
        from.execute(() -> {
            PollingSession.State state = from.state();
            c.execute(() -> {
                if (c.isClosing() || state == null) {
                    c.release(List.of());
                    from.execute(() -> from.close(Disconnect.GOING_AWAY)); // no transport left for this session
                    if (state == null) {
                        c.close(Disconnect.NORMAL);
                    }
                    return;
                }
                if (state.principal() != null) {
                    c.refresh(state.principal(), state.deadlineMillis());
                }
                s.namespaces.addAll(state.namespaces());
                for (String t : state.topics()) {
                    Topic topic = Topic.parse(t);
                    if (topic != null) {
                        c.subscribe(topic); // the topic's interest exists already: confirmed at once
                    }
                }
                from.execute(() -> {
                    List<Object> left = from.handOver(c);
                    c.execute(() -> {
                        if (left == null) {
                            c.release(List.of());
                            c.close(Disconnect.NORMAL);
                            return;
                        }
                        List<Connection.Held> events = new ArrayList<>();
                        for (Object o : left) {
                            if (o instanceof Connection.Held h) {
                                events.add(h);
                            } else {
                                peer.send((String) o);
                            }
                        }
                        if (c.isClosing()) {
                            events.forEach(h -> h.frame().release());
                            c.release(List.of());
                            return;
                        }
                        c.release(events);
                        s.pingSentNanos = 0;
                        s.nextPingNanos = System.nanoTime() + settings.pingInterval().toNanos();
                    });
                });
            });
        });
    }

    /** Binary frames only carry attachments of binary packets, which Herald refuses: dropped, never 1003. */
    @Override
    public void onBinary(Connection c, ByteBuf data) {
        if (engineOnly) {
            c.send(new io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame(data.retainedDuplicate()));
            return; // the bare Engine.IO echo
        }
        Session s = ((WsPeer) c.attachment()).session;
        if (s.binaryEvent != null) {
            s.attachments.add(data.retainedDuplicate());
            if (s.attachments.size() == s.binaryEvent.attachments()) {
                echoBinary(c, s);
            }
            return;
        }
        if (s.attachmentsToDrop > 0) {
            s.attachmentsToDrop--;
        } else {
            c.close(Disconnect.PROTOCOL_ERROR); // a binary frame nobody announced
        }
    }

    /** §7 profile: {@code message} back as {@code message-back}, {@code message-with-ack} acknowledged, attachments and all. */
    private static void echoBinary(Connection c, Session s) {
        SioPacket p = s.binaryEvent;
        List<ByteBuf> attachments = s.attachments;
        s.binaryEvent = null;
        s.attachments = null;
        String head = p.attachments() + "-" + prefix(p.namespace());
        String args = p.eventArgs();
        String text;
        if ("message".equals(p.eventName())) {
            text = "45" + head + "[\"message-back\"" + (args.isEmpty() ? "" : "," + args) + "]";
        } else if ("message-with-ack".equals(p.eventName()) && p.ackId() >= 0) {
            text = "46" + head + p.ackId() + "[" + args + "]";
        } else {
            attachments.forEach(ByteBuf::release);
            return;
        }
        c.send(TextFrames.text(c.channel().alloc(), text.getBytes(StandardCharsets.UTF_8)));
        for (ByteBuf a : attachments) {
            c.send(new io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame(a));
        }
    }

    private void onMessage(SioPeer peer, Session s, String body) {
        SioPacket p;
        try {
            p = SioPacket.parse(body);
        } catch (SioPacket.Malformed e) {
            peer.close(Disconnect.PROTOCOL_ERROR); // the reference closes the transport on a parse error too
            return;
        }
        switch (p.type()) {
            case SioPacket.CONNECT -> connect(peer, s, p);
            case SioPacket.DISCONNECT -> disconnect(peer, s, p.namespace());
            case SioPacket.EVENT -> event(peer, s, p);
            case SioPacket.BINARY_EVENT -> {
                if (settings.conformance() && peer instanceof WsPeer ws && s.namespaces.contains(p.namespace())
                        && p.attachments() > 0 && s.binaryEvent == null) {
                    s.binaryEvent = p; // §7 profile: echoed once its attachments arrived
                    s.attachments = new ArrayList<>(p.attachments());
                    ws.c.channel().closeFuture().addListener(f -> ws.c.execute(s::dropAttachments));
                } else {
                    s.attachmentsToDrop += p.attachments();
                }
            }
            case SioPacket.BINARY_ACK -> s.attachmentsToDrop += p.attachments();
            default -> {
                // ACKs of events we never asked to be acknowledged
            }
        }
    }

    private void connect(SioPeer peer, Session s, SioPacket p) {
        String ns = p.namespace();
        if (!settings.servesNamespace(ns)) {
            peer.send("44" + prefix(ns) + "{\"message\":\"Invalid namespace\"}");
            return;
        }
        if (settings.conformance()) {
            connected(peer, s, ns, CompletableFuture.completedFuture(null));
            String auth = p.payload() != null ? p.payload() : "{}";
            String emit = "42" + prefix(ns) + "[\"auth\"," + auth + "]"; // §7 profile: the handshake auth back
            if (peer instanceof WsPeer ws) {
                // In a write of its own, as the reference's separate emit is: the suite's client reads
                // message by message and would miss a second one that came in the same read.
                ws.c.channel().eventLoop().schedule(() -> {
                    if (!ws.isClosing()) {
                        peer.send(emit);
                    }
                }, 20, java.util.concurrent.TimeUnit.MILLISECONDS);
            } else {
                peer.send(emit);
            }
            return;
        }
        Principal current = peer.principal();
        Principal principal = current;
        if (p.authToken() != null) {
            try {
                principal = verifier.verify(p.authToken());
            } catch (InvalidTokenException e) {
                principal = null;
            }
        }
        if (principal == null || (current != null && !current.subject().equals(principal.subject()))) {
            peer.send("44" + prefix(ns) + "{\"message\":\"unauthorized\"}");
            peer.close(Disconnect.UNAUTHORIZED);
            return;
        }
        if (principal != current) {
            peer.authenticate(principal, verifier.deadline(principal).toEpochMilli());
        }
        CompletableFuture<Void> ready = CompletableFuture.allOf(
                Topic.isValidId(principal.subject()) ? peer.subscribe(Topic.user(principal.subject())).toCompletableFuture()
                        : CompletableFuture.completedFuture(null),
                peer.subscribe(Topic.BROADCAST).toCompletableFuture());
        connected(peer, s, ns, ready);
    }

    private static void connected(SioPeer peer, Session s, String ns, CompletableFuture<Void> ready) {
        ready.whenComplete((ok, failure) -> peer.execute(() -> {
            if (peer.isClosing()) {
                return;
            }
            if (failure != null) {
                // §10: never connected without its user and broadcast topics; the client reconnects on 1013
                peer.close(Disconnect.TRY_AGAIN_LATER);
                return;
            }
            s.namespaces.add(ns);
            peer.send("40" + prefix(ns) + "{\"sid\":\"" + newId() + "\"}");
        }));
    }

    private static void disconnect(SioPeer peer, Session s, String ns) {
        s.namespaces.remove(ns);
        if ("/".equals(ns)) {
            peer.unsubscribeAll();
        }
    }

    private void event(SioPeer peer, Session s, SioPacket p) {
        if (!s.namespaces.contains(p.namespace())) {
            return; // not connected to that namespace: ignored, as the reference does
        }
        if (!settings.conformance()) {
            return; // Herald takes no events from clients; publishing is the backends' (§3)
        }
        String args = p.eventArgs();
        String ns = prefix(p.namespace());
        if ("message".equals(p.eventName())) {
            peer.send("42" + ns + "[\"message-back\"" + (args.isEmpty() ? "" : "," + args) + "]");
        } else if ("message-with-ack".equals(p.eventName()) && p.ackId() >= 0) {
            peer.send("43" + ns + p.ackId() + "[" + args + "]");
        }
    }

    /** {@code /ns,} for a namespace other than {@code /}. */
    static String prefix(String ns) {
        return "/".equals(ns) ? "" : ns + ",";
    }


    /** §8.4: Socket.IO has no error frame for this; the command is dropped. */
    @Override
    public void onRateLimited(Connection c) {
    }

    /** §8.3: {@code 42["force_sync"]} when events of the user's topic or broadcasts were lost. */
    @Override
    public ByteBuf forceSync(Topic topic, ByteBufAllocator alloc) {
        return topic.kind() == Topic.Kind.USER || topic.kind() == Topic.Kind.BROADCAST
                ? TextFrames.text(alloc, FORCE_SYNC) : null;
    }

    private static final byte[] FORCE_SYNC = "42[\"force_sync\"]".getBytes(StandardCharsets.UTF_8);

    /**
     * §7: events on {@code user:{sub}} and {@code broadcast} as {@code 42["<event_type>",<data>]}, or
     * {@code 42["<event_type>"]} without data; rendered once per publication.
     */
    @Override
    public ByteBuf render(Envelope e, ByteBufAllocator alloc) {
        Topic.Kind kind = e.topic().kind();
        if (kind != Topic.Kind.USER && kind != Topic.Kind.BROADCAST) {
            return null;
        }
        return TextFrames.json(alloc, g -> {
            g.writeRaw("42");
            g.writeStartArray();
            g.writeString(e.eventType());
            if (e.data() != null) {
                g.writeRawValue(new io.herald.hub.RawJson(e.data()));
            }
            g.writeEndArray();
        });
    }
}
