package io.herald.protocol.socketio;

import io.herald.auth.Authentication;
import io.herald.auth.Authenticator;
import io.herald.auth.BearerTokens;
import io.herald.auth.Credentials;
import io.herald.auth.Principal;
import io.herald.auth.TokenVerifier;
import io.herald.broker.history.History;
import io.herald.hub.Envelope;
import io.herald.hub.Topic;
import io.herald.api.HttpEndpoint;
import io.herald.protocol.Connection;
import io.herald.protocol.Outbound;
import io.herald.protocol.Refusal;
import io.herald.protocol.Resumption;
import io.herald.protocol.Transport;
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
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.cookie.Cookie;
import io.netty.handler.codec.http.cookie.ServerCookieDecoder;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
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
public final class SocketIoDialect implements Dialect<SioState> {
    private static final SecureRandom RANDOM = new SecureRandom();
    static final String IMMICH_HEADER = "x-immich-user-token";
    static final String IMMICH_COOKIE = "immich_access_token";
    /** §7, §12: the kinds of topic a Socket.IO connection receives: its rooms. */
    private static final Set<Topic.Kind> ROOMS = java.util.EnumSet.of(Topic.Kind.USER, Topic.Kind.SESSION, Topic.Kind.BROADCAST);

    private final SocketIoSettings settings;
    private final Authenticator authenticator;
    private final String openPayloadTail;
    private final PollingEndpoint polling;
    /** The conformance profile's bare Engine.IO echo server at {@code /engine.io/}: no Socket.IO layer. */
    private final boolean engineOnly;

    public SocketIoDialect(SocketIoSettings settings, TokenVerifier verifier, OriginPolicy origins) {
        this(settings, new Authenticator(verifier), origins, false);
    }

    /** @param engineOnly Engine.IO only, echoing every message (the §7 conformance profile's {@code /engine.io/}) */
    public SocketIoDialect(SocketIoSettings settings, Authenticator authenticator, OriginPolicy origins,
                           boolean engineOnly) {
        this.settings = settings;
        this.authenticator = authenticator;
        this.engineOnly = engineOnly;
        this.polling = new PollingEndpoint(this, authenticator, origins);
        this.openPayloadTail = ",\"pingInterval\":" + settings.pingInterval().toMillis()
                + ",\"pingTimeout\":" + settings.pingTimeout().toMillis() + ",\"maxPayload\":" + settings.maxPayload() + "}";
    }

    public SocketIoSettings settings() {
        return settings;
    }

    /** §11 history for connection state recovery; null: none. Set once at start. */
    private volatile History history;
    /** §11 {@code HERALD_SOCKETIO_RECOVERY}: recovery for every client, not only those that ask. */
    private volatile boolean recoveryForAll;

    /** Turns on §11 connection state recovery over {@code history} (null: off), for all clients or those that ask. */
    public void useRecovery(History history, boolean forAll) {
        this.history = history;
        this.recoveryForAll = forAll;
    }

    /** The shared core, for long-polling sessions made by plain HTTP requests; set once at start. */
    public void useCore(ConnectionCore core) {
        polling.useCore(core);
    }

    /** With a Redis broker: long-polling requests may land on any instance (§7) and reach their session over {@code c}. */
    public void useControlChannel(io.herald.broker.ControlChannel c) {
        polling.relay().open(c);
    }

    /** §7 long-polling: the plain HTTP endpoint of the Socket.IO paths. */
    public HttpEndpoint pollingEndpoint() {
        return polling;
    }

    /**
     * The route of the Socket.IO paths (§7, §9): GET, POST and OPTIONS, bodies up to maxPayload, other methods
     * answered 400 by Engine.IO as its reference does, and a POST over maxPayload ending its session.
     */
    public RouteSpec route() {
        return RouteSpec.answeringEveryMethod(settings.maxPayload(), HttpMethod.GET, HttpMethod.POST, HttpMethod.OPTIONS)
                .whenTooLarge(polling::bodyTooLarge);
    }

    @Override
    public SioState newState() {
        return new SioState(polling.relay().tag() + newId());
    }

    /** The Engine.IO {@code sid} of a session this WebSocket upgrades, if any. */
    @Override
    public String connectionParameter(QueryStringDecoder query, String pathParameter) {
        List<String> sid = query.parameters().get("sid");
        return sid == null || sid.isEmpty() ? null : sid.get(0);
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
    public CompletionStage<Refusal> refuseUpgrade(HttpRequest request, QueryStringDecoder query, String remoteAddr) {
        List<String> eio = query.parameters().get("EIO");
        if (eio == null || !"4".equals(eio.get(0))) {
            return CompletableFuture.completedFuture(EngineIo.refusal(EngineIo.UNSUPPORTED_PROTOCOL_VERSION));
        }
        List<String> transport = query.parameters().get("transport");
        if (transport == null || !"websocket".equals(transport.get(0))) {
            return CompletableFuture.completedFuture(EngineIo.refusal(EngineIo.UNKNOWN_TRANSPORT));
        }
        Connection<SioState> from = continues(query);
        if (from == null) {
            // a sid with no polling session to upgrade is closed right after the handshake, as the reference does
            return CompletableFuture.completedFuture(null);
        }
        // §7: another user's credentials on this session are refused, opaque ones too (§12: the proxy says whose)
        return polling.requester(request, query, remoteAddr)
                .thenApply(user -> PollingEndpoint.sameUser(from, user) ? null : EngineIo.refusal(EngineIo.FORBIDDEN));
    }

    /** §7 upgrade: a WebSocket with the {@code sid} of a long-polling session on this instance continues it. */
    @Override
    public Connection<SioState> continues(QueryStringDecoder query) {
        List<String> sid = query.parameters().get("sid");
        return sid == null || sid.isEmpty() ? null : polling.get(sid.get(0));
    }

    @Override
    public void onOpen(Connection<SioState> c) {
        SioState s = c.state();
        s.subject = c.subject();
        s.nextPingNanos = s.openedNanos + settings.pingInterval().toNanos();
        if (s.polling != null) {
            return; // the OPEN packet was the polling handshake's answer
        }
        if (c.pathParameter() != null) {
            c.close(Disconnect.NORMAL); // a sid with no session here to upgrade
            return;
        }
        c.sendText(openPacket(s.sid, false));
    }

    /** The Engine.IO OPEN packet; polling sessions may upgrade to WebSocket. */
    String openPacket(String sid, boolean mayUpgrade) {
        return "0{\"sid\":\"" + sid + "\",\"upgrades\":" + (mayUpgrade ? "[\"websocket\"]" : "[]") + openPayloadTail;
    }

    // --- §7 upgrade from long-polling: the connection switches transport on its loop ---

    @Override
    public void onCandidateOpen(Connection<SioState> c, Transport candidate) {
        SioState s = c.state();
        if (c.isClosing() || s.polling == null || c.transport() != s.polling || s.probe != null) {
            candidate.close(Disconnect.NORMAL); // the session ended, upgraded, or another WebSocket is probing it
            return;
        }
        s.probe = candidate;
        s.probed = false;
        s.probeSinceNanos = System.nanoTime();
    }

    @Override
    public void onCandidateText(Connection<SioState> c, Transport candidate, ByteBuf utf8) {
        SioState s = c.state();
        if (candidate != s.probe || s.polling == null) {
            candidate.close(Disconnect.NORMAL);
            return;
        }
        String text = utf8.toString(StandardCharsets.UTF_8);
        if ("2probe".equals(text) && !s.probed) {
            s.probed = true; // answered 3probe already (answerCandidate)
            s.polling.probed(); // a waiting poll ends with a noop so the client can pause polling
        } else if ("5".equals(text)) {
            // The client paused polling: the session goes on over the WebSocket. What nobody polled yet goes out
            // first; the hub keeps delivering to the same connection throughout, so nothing is lost or repeated.
            if (!candidate.isOpen()) {
                dropProbe(s); // the WebSocket is closing already: polling goes on
                return;
            }
            s.probe = null;
            c.switchTransport(candidate); // the polling transport hands over and its sid is forgotten
            s.polling = null;
        } else {
            candidate.fail(Disconnect.PROTOCOL_ERROR);
        }
    }

    private static final byte[] PROBE_ANSWER = "3probe".getBytes(StandardCharsets.UTF_8);

    /** Engine.IO's probe is answered as soon as it is read, on the WebSocket's own loop, as the reference does. */
    @Override
    public void answerCandidate(Transport candidate, ByteBuf utf8) {
        if (utf8.readableBytes() == 6 && "2probe".equals(utf8.toString(StandardCharsets.UTF_8))) {
            candidate.writeUncounted(TextFrames.text(candidate.alloc(), PROBE_ANSWER));
        }
    }

    @Override
    public void onCandidateClosed(Connection<SioState> c, Transport candidate) {
        SioState s = c.state();
        if (s.probe == candidate) {
            dropProbe(s); // the WebSocket died before the 5: polling goes on as before
        }
    }

    /** The probing WebSocket is no upgrade any more: polls are held again as before it came. */
    private static void dropProbe(SioState s) {
        s.probe = null;
        if (s.polling != null) {
            s.polling.probeGone();
        }
    }

    /** The heartbeat of Engine.IO v4, from the per-loop sweep, over either transport. */
    @Override
    public void tick(Connection<SioState> c, long now) {
        heartbeat(c, now);
    }

    /**
     * Engine.IO v4: the server pings pingInterval after the open or the last pong and waits pingTimeout for the pong;
     * a session that never sent CONNECT closes after connectTimeout; a probe that never upgrades is dropped.
     */
    void heartbeat(Connection<SioState> c, long now) {
        SioState s = c.state();
        if (c.isClosing() || overdue(c, now)) {
            return;
        }
        long interval = settings.pingInterval().toNanos();
        long timeout = settings.pingTimeout().toNanos();
        if (s.probe != null && now - s.probeSinceNanos > interval + timeout) {
            s.probe.close(Disconnect.NORMAL); // an upgrade that never completed
            dropProbe(s);
        }
        if (s.pingOutstanding) {
            // pingTimeout counts from when the ping was due, however late the sweep sent it (as the reference's
            // timers do): a client is held to pingInterval + pingTimeout exactly
            if (now - s.nextPingNanos >= timeout) {
                c.close(Disconnect.PING_TIMEOUT);
            }
            return;
        }
        if (now >= s.nextPingNanos) {
            s.pingOutstanding = true;
            c.sendText("2");
        }
    }

    /**
     * Closes a session that never sent CONNECT within connectTimeout (§7: 10 s; not on the bare Engine.IO server).
     * Expiry (§8.2) is the registry's, for both transports. True if closed.
     */
    boolean overdue(Connection<SioState> c, long now) {
        SioState s = c.state();
        if (!engineOnly && s.namespaces.isEmpty() && now - s.openedNanos > settings.connectTimeout().toNanos()) {
            c.close(Disconnect.CONNECT_TIMEOUT);
            return true;
        }
        return false;
    }

    @Override
    public void onText(Connection<SioState> c, ByteBuf utf8) {
        handle(c, utf8.toString(StandardCharsets.UTF_8), true);
    }

    /**
     * One packet a long-polling client posted: a command like a WebSocket message, under the same §8.4 rate (over
     * it dropped, since Socket.IO has no error frame; far over it closed).
     */
    void receive(Connection<SioState> c, String packet, boolean websocket) {
        switch (c.received(true)) {
            case CLOSE -> c.close(Disconnect.RATE_LIMITED);
            case LIMIT -> onRateLimited(c);
            default -> handle(c, packet, websocket);
        }
    }

    /** One Engine.IO packet from the client, over either transport. */
    void handle(Connection<SioState> c, String text, boolean websocket) {
        SioState s = c.state();
        if (text.isEmpty()) {
            c.close(Disconnect.PROTOCOL_ERROR);
            return;
        }
        switch (text.charAt(0)) {
            case '3' -> {
                s.pingOutstanding = false;
                s.nextPingNanos = System.nanoTime() + settings.pingInterval().toNanos();
            }
            case 'b' -> {
                if (engineOnly && !websocket) {
                    c.sendText(text); // the bare Engine.IO echo: a base64 binary message back as it came
                } else if (s.attachmentsToDrop > 0) {
                    s.attachmentsToDrop--; // a polling attachment of a binary packet we refused
                } else {
                    c.close(Disconnect.PROTOCOL_ERROR); // binary data nobody announced
                }
            }
            case '2' -> c.sendText("3" + text.substring(1)); // a client ping, answered with its payload
            case '4' -> {
                if (engineOnly) {
                    c.sendText(text); // the bare Engine.IO echo server of the conformance profile (§7)
                } else {
                    onMessage(c, s, text.substring(1));
                }
            }
            case '1' -> c.close(Disconnect.NORMAL);
            case '5', '6' -> {
                // an upgrade on a transport that is not upgrading, or a noop: nothing to do
            }
            default -> c.close(Disconnect.PROTOCOL_ERROR);
        }
    }

    /** Binary frames only carry attachments of binary packets, which Herald refuses: dropped, never 1003. */
    @Override
    public void onBinary(Connection<SioState> c, ByteBuf data) {
        if (engineOnly) {
            c.send(new BinaryWebSocketFrame(data.retainedDuplicate()));
            return; // the bare Engine.IO echo
        }
        SioState s = c.state();
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
    private static void echoBinary(Connection<SioState> c, SioState s) {
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
        c.sendText(text);
        for (ByteBuf a : attachments) {
            c.send(new BinaryWebSocketFrame(a));
        }
    }

    @Override
    public void onClosed(Connection<SioState> c) {
        SioState s = c.state();
        s.dropAttachments();
        if (s.probe != null) {
            s.probe.close(Disconnect.NORMAL); // nothing left to upgrade
            s.probe = null;
        }
    }

    private void onMessage(Connection<SioState> c, SioState s, String body) {
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
            case SioPacket.BINARY_EVENT -> {
                if (settings.conformance() && s.polling == null && s.namespaces.contains(p.namespace())
                        && p.attachments() > 0 && s.binaryEvent == null) {
                    s.binaryEvent = p; // §7 profile: echoed once its attachments arrived (over WebSocket)
                    s.attachments = new ArrayList<>(p.attachments());
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

    private void connect(Connection<SioState> c, SioState s, SioPacket p) {
        String ns = p.namespace();
        if (!settings.servesNamespace(ns)) {
            c.sendText("44" + prefix(ns) + "{\"message\":\"Invalid namespace\"}");
            return;
        }
        if (settings.conformance()) {
            connected(c, s, ns, CompletableFuture.completedFuture(null));
            String auth = p.payload() != null ? p.payload() : "{}";
            String emit = "42" + prefix(ns) + "[\"auth\"," + auth + "]"; // §7 profile: the handshake auth back
            if (s.polling == null) {
                // In a write of its own, as the reference's separate emit is: the suite's client reads
                // message by message and would miss a second one that came in the same read.
                c.eventLoop().schedule(() -> c.sendText(emit), 20, java.util.concurrent.TimeUnit.MILLISECONDS);
            } else {
                c.sendText(emit);
            }
            return;
        }
        Principal current = c.principal();
        if (current != null && p.authToken() == null) {
            connectAs(c, s, ns, p, current);
            return;
        }
        if (s.authenticating) {
            return; // one CONNECT is being checked by the auth proxy; a second one at once is ignored
        }
        // §7, §12: auth.token, else the upgrade's credentials (its headers go to the auth proxy)
        Credentials kept = c.takeCredentials(); // kept only with an auth proxy; the authenticator ignores it otherwise
        String token = p.authToken();
        CompletableFuture<Authentication> checked;
        if (token != null) {
            checked = authenticator.authenticate(token, kept != null ? kept.withToken(token)
                    : new Credentials(Endpoint.SOCKETIO.label(), token, java.util.Map.of(), null));
        } else if (kept != null) {
            checked = authenticator.authenticate(null, kept);
        } else {
            checked = CompletableFuture.completedFuture(Authentication.unauthorized("no credentials"));
        }
        if (checked.isDone()) {
            authenticated(c, s, ns, p, checked.join());
            return;
        }
        s.authenticating = true;
        checked.whenComplete((a, t) -> c.execute(() -> {
            s.authenticating = false;
            if (!c.isClosing()) {
                authenticated(c, s, ns, p, a);
            }
        }));
    }

    /** CONNECT's credentials were checked: refused in the words of §12, or connected as {@code a}'s principal. */
    private void authenticated(Connection<SioState> c, SioState s, String ns, SioPacket p, Authentication a) {
        Principal current = c.principal();
        if (!a.accepted() || (current != null && !current.subject().equals(a.principal().subject()))) {
            boolean unavailable = a.failure() == Authentication.Failure.UNAVAILABLE;
            c.sendText("44" + prefix(ns) + (unavailable ? "{\"message\":\"unavailable\"}" : "{\"message\":\"unauthorized\"}"));
            c.close(unavailable ? Disconnect.TRY_AGAIN_LATER : Disconnect.UNAUTHORIZED);
            return;
        }
        Principal principal = a.principal();
        if (principal != current) {
            c.refresh(principal, authenticator.deadlineMillis(principal));
            s.subject = principal.subject();
        }
        c.greetWith(a.greeting());
        connectAs(c, s, ns, p, principal);
    }

    private void connectAs(Connection<SioState> c, SioState s, String ns, SioPacket p, Principal principal) {
        History h = history;
        SioPacket.Auth auth = p.auth() != null ? p.auth() : new SioPacket.Auth(null, false, null, null);
        if (h != null && (recoveryForAll || auth.recover()) && s.recovery == null && s.namespaces.isEmpty()) {
            recoverable(c, s, ns, h, principal, auth);
            return;
        }
        List<CompletableFuture<Void>> rooms = new java.util.ArrayList<>(3);
        for (Topic t : sessionTopics(principal)) {
            rooms.add(c.subscribe(t).toCompletableFuture());
        }
        CompletableFuture<Void> ready = CompletableFuture.allOf(rooms.toArray(new CompletableFuture[0]));
        connected(c, s, ns, ready);
    }

    /**
     * §11 connection state recovery: CONNECT is answered with a {@code pid}, and every event gets the session's offset
     * string as its last argument ({@link #ownFrame}). A client that comes back with its {@code pid} and last
     * {@code offset}, to any instance, gets the same {@code pid} and every event of its topics it missed, in order and
     * once, when the history still holds them all; otherwise a new {@code pid} and {@code 42["force_sync"]}. Live
     * events are held while the history is read, as for a subscribe with {@code since}.
     */
    private void recoverable(Connection<SioState> c, SioState s, String ns, History h,
                             Principal principal, SioPacket.Auth auth) {
        List<Topic> topics = sessionTopics(principal);
        History.Position[] from =
                auth.pid() == null ? null : SioRecovery.resumeFrom(auth.pid(), auth.offset(), topics.size());
        List<CompletableFuture<Void>> subscribed = new java.util.ArrayList<>(topics.size());
        for (Topic t : topics) {
            c.holdLive(t);
            subscribed.add(c.subscribe(t).toCompletableFuture());
        }
        CompletableFuture.allOf(subscribed.toArray(new CompletableFuture[0])).whenComplete((ok, failure) -> c.execute(() -> {
            if (c.isClosing()) {
                return;
            }
            if (failure != null) {
                topics.forEach(c::dropHeld);
                c.close(Disconnect.TRY_AGAIN_LATER); // §10, as a connect without recovery
                return;
            }
            List<CompletableFuture<History.Recovery>> reads = new java.util.ArrayList<>();
            for (int i = 0; i < topics.size(); i++) {
                reads.add(Resumption.read(h, topics.get(i), from == null ? null : from[i]).toCompletableFuture());
            }
            CompletableFuture.allOf(reads.toArray(new CompletableFuture[0])).whenComplete((done, readFailure) ->
                    c.execute(() -> recovered(c, s, ns, topics, from, auth.pid(), reads, readFailure)));
        }));
    }

    private void recovered(Connection<SioState> c, SioState s, String ns, List<Topic> topics,
                           History.Position[] from, String pid,
                           List<CompletableFuture<History.Recovery>> reads, Throwable failure) {
        if (c.isClosing()) {
            return;
        }
        if (failure != null) {
            topics.forEach(c::dropHeld);
            c.close(Disconnect.TRY_AGAIN_LATER);
            return;
        }
        int n = topics.size();
        boolean all = from != null;
        for (CompletableFuture<History.Recovery> r : reads) {
            all &= r.join().recovered();
        }
        History.Position[] at = new History.Position[n];
        String[] names = new String[n];
        for (int i = 0; i < n; i++) {
            at[i] = all ? from[i] : reads.get(i).join().position();
            names[i] = topics.get(i).name();
        }
        String sessionPid = all ? pid : SioRecovery.newPid(at);
        s.recovery = new SioRecovery(sessionPid, names, at);
        s.namespaces.add(ns);
        c.sendText("40" + prefix(ns) + "{\"sid\":\"" + newId() + "\",\"pid\":\"" + sessionPid + "\"}");
        c.greet(); // §12: the auth proxy's events, after the CONNECT answer (not numbered: not a topic's)
        if (all) {
            for (int i = 0; i < n; i++) {
                for (History.Entry missed : reads.get(i).join().events()) {
                    ByteBuf frame = render(missed.envelope(), c.alloc());
                    if (frame != null) {
                        c.replay(topics.get(i), missed.offset(), missed.envelope().epoch(), frame);
                    }
                }
            }
        } else if (from != null || pid != null) {
            c.send(TextFrames.text(c.alloc(), FORCE_SYNC)); // the session could not be recovered: resync
        }
        boolean lost = false;
        for (int i = 0; i < n; i++) {
            History.Position now = reads.get(i).join().position();
            lost |= c.releaseAt(topics.get(i), now.epoch(), now.offset()) >= 0;
        }
        if (lost) {
            c.send(TextFrames.text(c.alloc(), FORCE_SYNC)); // too many live events came while the history was read
        }
    }

    /**
     * What a connected socket receives (§7, §12): its user's topic, its login session's when it has one, and
     * broadcasts; in this order, which is also the order of a recovery vector's positions (§11).
     */
    static List<Topic> sessionTopics(Principal principal) {
        List<Topic> topics = new java.util.ArrayList<>(3);
        if (Topic.isValidId(principal.subject())) {
            topics.add(Topic.user(principal.subject()));
        }
        Topic session = principal.sessionTopic();
        if (session != null) {
            topics.add(session);
        }
        topics.add(Topic.BROADCAST);
        return topics;
    }

    @Override
    public boolean rendersOwnFrames(Connection<SioState> c) {
        return c.state().recovery != null; // §11: events carry this connection's offsets
    }

    /** §11: a recovering session's events carry its offset string as their last argument. */
    @Override
    public ByteBuf ownFrame(Connection<SioState> c, String topic, long offset, String epoch, ByteBuf frame) {
        SioRecovery r = c.state().recovery;
        // an event without a position (a Socket.IO app's emit through Redis, §12) leaves the offsets alone
        String vector = r == null || offset <= 0 ? null : r.advance(topic, epoch, offset);
        if (vector == null) {
            return frame; // §7 exactly: no extra argument for a client that did not ask
        }
        ByteBuf own = TextFrames.withLastString(c.alloc(), frame, vector);
        frame.release();
        return own;
    }

    private static void connected(Connection<SioState> c, SioState s, String ns, CompletableFuture<Void> ready) {
        ready.whenComplete((ok, failure) -> c.execute(() -> {
            if (c.isClosing()) {
                return;
            }
            if (failure != null) {
                // §10: never connected without its user and broadcast topics; the client reconnects on 1013
                c.close(Disconnect.TRY_AGAIN_LATER);
                return;
            }
            s.namespaces.add(ns);
            c.sendText("40" + prefix(ns) + "{\"sid\":\"" + newId() + "\"}");
            c.greet(); // §12: the auth proxy's events, after the CONNECT answer
        }));
    }

    private static void disconnect(Connection<SioState> c, SioState s, String ns) {
        s.namespaces.remove(ns);
        if ("/".equals(ns)) {
            c.unsubscribeAll();
            s.recovery = null; // §11: a later CONNECT starts its own recovery, or none
        }
    }

    private void event(Connection<SioState> c, SioState s, SioPacket p) {
        if (!s.namespaces.contains(p.namespace())) {
            return; // not connected to that namespace: ignored, as the reference does
        }
        if (!settings.conformance()) {
            return; // Herald takes no events from clients; publishing is the backends' (§3)
        }
        String args = p.eventArgs();
        String ns = prefix(p.namespace());
        if ("message".equals(p.eventName())) {
            c.sendText("42" + ns + "[\"message-back\"" + (args.isEmpty() ? "" : "," + args) + "]");
        } else if ("message-with-ack".equals(p.eventName()) && p.ackId() >= 0) {
            c.sendText("43" + ns + p.ackId() + "[" + args + "]");
        }
    }

    /**
     * §12: the control API may grant what this endpoint delivers, {@code user:}, {@code session:} and
     * {@code broadcast}; subscribed without a frame (Socket.IO has none), confirmed or closed 1013 (§10).
     */
    @Override
    public Set<Topic.Kind> grantable() {
        return ROOMS;
    }

    /**
     * §12 revoked: the server's DISCONNECT for each connected namespace first, so socket.io-client does not reconnect
     * (its "io server disconnect"), then the close.
     */
    @Override
    public void revoke(Connection<SioState> c) {
        for (String ns : List.copyOf(c.state().namespaces)) {
            c.sendText("41" + prefix(ns));
        }
        c.close(Disconnect.REVOKED);
    }

    /** {@code /ns,} for a namespace other than {@code /}. */
    static String prefix(String ns) {
        return "/".equals(ns) ? "" : ns + ",";
    }


    /** §8.4: Socket.IO has no error frame for this; the command is dropped. */
    @Override
    public void onRateLimited(Connection<SioState> c) {
    }

    /** §8.3: {@code 42["force_sync"]} when events of the user's topic or broadcasts were lost. */
    @Override
    public ByteBuf forceSync(Topic topic, ByteBufAllocator alloc) {
        return ROOMS.contains(topic.kind()) ? TextFrames.text(alloc, FORCE_SYNC) : null;
    }

    private static final byte[] FORCE_SYNC = "42[\"force_sync\"]".getBytes(StandardCharsets.UTF_8);

    /**
     * §7: events on {@code user:{sub}} and {@code broadcast} as {@code 42["<event_type>",<data>]}, or
     * {@code 42["<event_type>"]} without data; rendered once per publication.
     */
    @Override
    public ByteBuf render(Envelope e, ByteBufAllocator alloc) {
        Topic.Kind kind = e.topic().kind();
        if (!ROOMS.contains(kind)) {
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
