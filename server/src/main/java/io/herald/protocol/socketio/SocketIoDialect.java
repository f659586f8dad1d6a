package io.herald.protocol.socketio;

import io.herald.auth.BearerTokens;
import io.herald.auth.InvalidTokenException;
import io.herald.auth.Principal;
import io.herald.auth.TokenVerifier;
import io.herald.hub.Envelope;
import io.herald.hub.Topic;
import io.herald.protocol.Connection;
import io.herald.protocol.Dialect;
import io.herald.protocol.Disconnect;
import io.herald.protocol.Endpoint;
import io.herald.protocol.TextFrames;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.cookie.Cookie;
import io.netty.handler.codec.http.cookie.ServerCookieDecoder;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

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

    public SocketIoDialect(SocketIoSettings settings, TokenVerifier verifier) {
        this.settings = settings;
        this.verifier = verifier;
        this.openPayloadTail = ",\"pingInterval\":" + settings.pingInterval().toMillis()
                + ",\"pingTimeout\":" + settings.pingTimeout().toMillis() + ",\"maxPayload\":" + settings.maxPayload() + "}";
    }

    public SocketIoSettings settings() {
        return settings;
    }

    /** The Engine.IO session of one connection; touched on its loop only. */
    static final class Session {
        final String sid = newId();
        final long openedNanos = System.nanoTime();
        long nextPingNanos;
        /** When the unanswered ping went out, or 0. */
        long pingSentNanos;
        /** Namespaces the client is connected to. */
        final Set<String> namespaces = new HashSet<>(2);
        /** Binary attachments still to come (and to be dropped) for a binary packet we refused. */
        int attachmentsToDrop;
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
        if (query.parameters().containsKey("sid")) {
            return EngineIo.error(alloc, EngineIo.UNKNOWN_SID); // no polling session to upgrade over WebSocket alone
        }
        return null;
    }

    @Override
    public void onOpen(Connection c) {
        Session s = new Session();
        c.attach(s);
        s.nextPingNanos = s.openedNanos + settings.pingInterval().toNanos();
        send(c, "0{\"sid\":\"" + s.sid + "\",\"upgrades\":[]" + openPayloadTail);
    }

    /** The heartbeat of Engine.IO v4: the server pings every pingInterval and waits pingTimeout for the pong. */
    @Override
    public void tick(Connection c, long now) {
        Session s = (Session) c.attachment();
        if (s == null) {
            return;
        }
        if (s.namespaces.isEmpty() && now - s.openedNanos > settings.connectTimeout().toNanos()) {
            c.close(Disconnect.CONNECT_TIMEOUT);
            return;
        }
        if (s.pingSentNanos != 0) {
            if (now - s.pingSentNanos > settings.pingTimeout().toNanos()) {
                c.close(Disconnect.PING_TIMEOUT);
            }
            return;
        }
        if (now >= s.nextPingNanos) {
            s.pingSentNanos = now;
            s.nextPingNanos = now + settings.pingInterval().toNanos();
            send(c, "2");
        }
    }

    @Override
    public void onText(Connection c, ByteBuf utf8) {
        Session s = (Session) c.attachment();
        String text = utf8.toString(StandardCharsets.UTF_8);
        if (text.isEmpty()) {
            c.close(Disconnect.PROTOCOL_ERROR);
            return;
        }
        switch (text.charAt(0)) {
            case '3' -> s.pingSentNanos = 0; // pong
            case '2' -> send(c, "3" + text.substring(1)); // a client ping (probe): answered with its payload
            case '4' -> onMessage(c, s, text.substring(1));
            case '1' -> c.close(Disconnect.NORMAL);
            case '6', '5' -> {
                // noop; an upgrade packet on a WebSocket-only session changes nothing
            }
            default -> c.close(Disconnect.PROTOCOL_ERROR);
        }
    }

    /** Binary frames only carry attachments of binary packets, which Herald refuses: dropped, never 1003. */
    @Override
    public void onBinary(Connection c, ByteBuf data) {
        Session s = (Session) c.attachment();
        if (s.attachmentsToDrop > 0) {
            s.attachmentsToDrop--;
        } else {
            c.close(Disconnect.PROTOCOL_ERROR); // a binary frame nobody announced
        }
    }

    private void onMessage(Connection c, Session s, String body) {
        SioPacket p;
        try {
            p = SioPacket.parse(body);
        } catch (SioPacket.Malformed e) {
            c.close(Disconnect.PROTOCOL_ERROR); // the reference closes the transport on a parse error too
            return;
        }
        switch (p.type()) {
            case SioPacket.CONNECT -> connect(c, s, p);
            case SioPacket.DISCONNECT -> disconnect(c, s, p.namespace());
            case SioPacket.EVENT -> event(c, s, p);
            case SioPacket.BINARY_EVENT, SioPacket.BINARY_ACK -> s.attachmentsToDrop += p.attachments();
            default -> {
                // ACKs of events we never asked to be acknowledged
            }
        }
    }

    private void connect(Connection c, Session s, SioPacket p) {
        String ns = p.namespace();
        if (!settings.servesNamespace(ns)) {
            send(c, "44" + prefix(ns) + "{\"message\":\"Invalid namespace\"}");
            return;
        }
        if (settings.conformance()) {
            connected(c, s, ns, CompletableFuture.completedFuture(null));
            String auth = p.payload() != null ? p.payload() : "{}";
            send(c, "42" + prefix(ns) + "[\"auth\"," + auth + "]"); // §7 profile: emit the handshake auth back
            return;
        }
        Principal principal = c.principal();
        if (p.authToken() != null) {
            try {
                principal = verifier.verify(p.authToken());
            } catch (InvalidTokenException e) {
                principal = null;
            }
        }
        if (principal == null || (c.principal() != null && !c.principal().subject().equals(principal.subject()))) {
            unauthorized(c);
            return;
        }
        if (principal != c.principal()) {
            c.refresh(principal, verifier.deadline(principal).toEpochMilli());
        }
        CompletableFuture<Void> ready = CompletableFuture.allOf(
                Topic.isValidId(principal.subject()) ? c.subscribe(Topic.user(principal.subject())).toCompletableFuture()
                        : CompletableFuture.completedFuture(null),
                c.subscribe(Topic.BROADCAST).toCompletableFuture());
        connected(c, s, ns, ready);
    }

    /** §7: {@code 44{"message":"unauthorized"}}, then the transport is closed. */
    private static void unauthorized(Connection c) {
        send(c, "44{\"message\":\"unauthorized\"}");
        c.close(Disconnect.UNAUTHORIZED);
    }

    private static void connected(Connection c, Session s, String ns, CompletableFuture<Void> ready) {
        ready.whenComplete((ok, failure) -> c.execute(() -> {
            if (c.isClosing()) {
                return;
            }
            if (failure != null) {
                send(c, "44" + prefix(ns) + "{\"message\":\"subscription failed, retry\"}");
                return;
            }
            s.namespaces.add(ns);
            send(c, "40" + prefix(ns) + "{\"sid\":\"" + newId() + "\"}");
        }));
    }

    private static void disconnect(Connection c, Session s, String ns) {
        s.namespaces.remove(ns);
        if ("/".equals(ns)) {
            for (String t : List.copyOf(c.topics())) {
                Topic topic = Topic.parse(t);
                if (topic != null) {
                    c.unsubscribe(topic);
                }
            }
        }
    }

    private void event(Connection c, Session s, SioPacket p) {
        if (!s.namespaces.contains(p.namespace())) {
            return; // not connected to that namespace: ignored, as the reference does
        }
        if (!settings.conformance()) {
            return; // Herald takes no events from clients; publishing is the backends' (§3)
        }
        String args = p.eventArgs();
        String ns = prefix(p.namespace());
        if ("message".equals(p.eventName())) {
            send(c, "42" + ns + "[\"message-back\"" + (args.isEmpty() ? "" : "," + args) + "]");
        } else if ("message-with-ack".equals(p.eventName()) && p.ackId() >= 0) {
            send(c, "43" + ns + p.ackId() + "[" + args + "]");
        }
    }

    /** {@code /ns,} for a namespace other than {@code /}. */
    static String prefix(String ns) {
        return "/".equals(ns) ? "" : ns + ",";
    }

    private static void send(Connection c, String packet) {
        c.send(TextFrames.text(c.channel().alloc(), packet.getBytes(StandardCharsets.UTF_8)));
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
