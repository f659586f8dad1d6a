package io.herald.protocol.socketio;

import io.herald.hub.Envelope;
import io.herald.hub.FrameRenderer;
import io.herald.hub.Hub;
import io.herald.hub.Topic;
import io.herald.metrics.Stats;
import io.herald.protocol.Connection;
import io.herald.protocol.ConnectionCore;
import io.herald.protocol.Connections;
import io.herald.protocol.DialectHandler;
import io.herald.protocol.Endpoint;
import io.herald.protocol.WebSocketTransport;
import io.herald.testing.EmbeddedConnection;
import io.herald.testing.NoBroker;
import io.herald.transport.OriginPolicy;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * §7 long-polling sessions and their upgrade to WebSocket, through the polling endpoint and a candidate
 * {@link WebSocketTransport}, on EmbeddedChannels: the session is one {@link Connection} that switches transport,
 * so nothing queued on polling is lost, repeated or reordered, and it stays one entry in the registry.
 */
class SocketIoUpgradeTest {
    static final char SEP = '\u001e';

    final Stats stats = new Stats();
    final SocketIoDialect dialect = new SocketIoDialect(SocketIoSettings.production(), SocketIoDialectTest.VERIFIER,
            new OriginPolicy(List.of(), false));
    final EmbeddedChannel loop = new EmbeddedChannel();
    final Connections connections = new Connections(Duration.ofSeconds(90), EmbeddedConnection.CLOCK);
    final Hub hub;
    final List<EmbeddedChannel> sockets = new ArrayList<>();

    SocketIoUpgradeTest() {
        List<FrameRenderer> renderers = new ArrayList<>();
        for (Endpoint e : Endpoint.values()) {
            renderers.add(e == Endpoint.SOCKETIO ? dialect : (env, alloc) -> null);
        }
        hub = new Hub(renderers, NoBroker.INTEREST, ByteBufAllocator.DEFAULT, stats);
        dialect.useCore(new ConnectionCore(hub, stats, connections, EmbeddedConnection.POLICY));
    }

    @AfterEach
    void close() {
        sockets.forEach(EmbeddedChannel::finishAndReleaseAll);
        for (String sid : new ArrayList<>(sids)) {
            Connection<SioState> c = ((PollingEndpoint) dialect.pollingEndpoint()).get(sid);
            if (c != null) {
                c.fail(io.herald.protocol.Disconnect.GOING_AWAY);
            }
        }
        loop.finishAndReleaseAll();
    }

    final List<String> sids = new ArrayList<>();

    CompletableFuture<FullHttpResponse> request(HttpMethod method, String query, String body, String token) {
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, "/socket.io/?EIO=4&transport=polling" + query,
                body == null ? Unpooled.EMPTY_BUFFER : Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        if (token != null) {
            req.headers().set(HttpHeaderNames.AUTHORIZATION, "Bearer " + token);
        }
        try {
            return dialect.pollingEndpoint().handle(req, ByteBufAllocator.DEFAULT, loop.eventLoop()).toCompletableFuture();
        } finally {
            req.release();
            loop.runPendingTasks();
        }
    }

    static String answer(CompletableFuture<FullHttpResponse> f) {
        assertTrue(f.isDone(), "answered");
        FullHttpResponse r = f.join();
        try {
            return r.status().code() + " " + r.content().toString(StandardCharsets.UTF_8);
        } finally {
            r.release();
        }
    }

    /** A polling session of alice's, connected to the main namespace. */
    String connectedSession() {
        String open = answer(request(HttpMethod.GET, "", null, null));
        assertTrue(open.startsWith("200 0{\"sid\":\""), open);
        assertTrue(open.contains("\"upgrades\":[\"websocket\"]"), open);
        String sid = open.substring("200 0{\"sid\":\"".length(), open.indexOf('"', "200 0{\"sid\":\"".length()));
        sids.add(sid);
        assertEquals("200 ok", answer(request(HttpMethod.POST, "&sid=" + sid,
                "40{\"token\":\"" + SocketIoDialectTest.token("alice") + "\"}", null)));
        String connected = answer(request(HttpMethod.GET, "&sid=" + sid, null, null));
        assertTrue(connected.startsWith("200 40{\"sid\":"), connected);
        return sid;
    }

    void publish(String event) {
        hub.publish(new Envelope(Topic.user("alice"), event, null, null, null));
        loop.runPendingTasks();
    }

    /** A WebSocket that asks to upgrade {@code sid}, as the router sets it up after the 101. */
    EmbeddedChannel probe(String sid) {
        Connection<SioState> c = dialect.continues(new QueryStringDecoder("/socket.io/?EIO=4&transport=websocket&sid=" + sid));
        assertNotNull(c, "the WebSocket continues the polling session");
        EmbeddedChannel ws = new EmbeddedChannel();
        sockets.add(ws);
        WebSocketTransport t = new WebSocketTransport(ws, 2_000);
        DialectHandler h = new DialectHandler(c, t);
        ws.pipeline().addLast(h, t);
        h.open();
        return ws;
    }

    static List<String> texts(EmbeddedChannel ws) {
        ws.runPendingTasks();
        List<String> out = new ArrayList<>();
        for (Object o; (o = ws.readOutbound()) != null; ) {
            try {
                out.add(o instanceof ByteBuf b ? EmbeddedConnection.payload(b)
                        : o instanceof CloseWebSocketFrame f ? "close " + f.statusCode() : o.toString());
            } finally {
                ReferenceCountUtil.release(o);
            }
        }
        return out;
    }

    @Test
    void aPollingSessionIsOneRegisteredConnectionThatReceivesItsUsersEvents() {
        String sid = connectedSession();
        assertEquals(1, connections.size());
        assertEquals(1, stats.connections());
        CompletableFuture<FullHttpResponse> poll = request(HttpMethod.GET, "&sid=" + sid, null, null);
        assertFalse(poll.isDone());
        publish("e1");
        assertEquals("200 42[\"e1\"]", answer(poll));
    }

    @Test
    void theUpgradeSwitchesTransportWithoutLosingReorderingOrRepeatingEvents() {
        String sid = connectedSession();
        CompletableFuture<FullHttpResponse> poll = request(HttpMethod.GET, "&sid=" + sid, null, null);
        EmbeddedChannel ws = probe(sid);
        ws.writeInbound(new TextWebSocketFrame("2probe"));
        assertEquals(List.of("3probe"), texts(ws));
        loop.advanceTimeBy(20, TimeUnit.MILLISECONDS);
        loop.runScheduledPendingTasks();
        assertEquals("200 6", answer(poll), "the waiting poll ends with a noop so the client can pause");

        publish("while-paused-1"); // queued on polling: the client paused it and has not upgraded yet
        publish("while-paused-2");
        assertEquals(List.of(), texts(ws), "nothing on the WebSocket before the 5");

        ws.writeInbound(new TextWebSocketFrame("5"));
        publish("after");
        assertEquals(List.of("42[\"while-paused-1\"]", "42[\"while-paused-2\"]", "42[\"after\"]"), texts(ws));
        assertEquals("400 {\"code\":1,\"message\":\"Session ID unknown\"}",
                answer(request(HttpMethod.GET, "&sid=" + sid, null, null)), "the sid is the WebSocket's now");
        assertNull(((PollingEndpoint) dialect.pollingEndpoint()).get(sid), "no longer a polling session");
        assertNull(dialect.continues(new QueryStringDecoder("/socket.io/?EIO=4&transport=websocket&sid=" + sid)),
                "a second upgrade of it is not a candidate");
        assertEquals(1, connections.size(), "still one session");
        assertEquals(1, stats.connections());

        ws.writeInbound(new TextWebSocketFrame("2"));
        assertEquals(List.of("3"), texts(ws), "the session answers over its new transport");

        Connection<SioState> c = sessionOf(ws);
        assertEquals(0, c.bound().outstanding(), "everything written was taken, and the probe's answer never counted");
        assertEquals(0, c.bound().replyBytes());
        ws.close();
        loop.runPendingTasks();
        assertEquals(0, connections.size(), "the WebSocket's end is the session's");
        assertEquals(0, stats.connections());
        assertTrue(connections.tryAdmit(), "its place under the cap was given back");
    }

    @SuppressWarnings("unchecked")
    static Connection<SioState> sessionOf(EmbeddedChannel ws) {
        return (Connection<SioState>) ws.pipeline().get(DialectHandler.class).connection();
    }

    @Test
    void pingsOnTheProbeAreAnsweredWithoutDisturbingTheUpgrade() {
        String sid = connectedSession();
        EmbeddedChannel ws = probe(sid);
        ws.writeInbound(new TextWebSocketFrame("2probe"));
        ws.writeInbound(new io.netty.handler.codec.http.websocketx.PingWebSocketFrame(Unpooled.copiedBuffer("p", StandardCharsets.UTF_8)));
        ws.writeInbound(new TextWebSocketFrame("5"));
        publish("after");
        assertEquals(List.of("3probe", "PongWebSocketFrame", "42[\"after\"]"),
                texts(ws).stream().map(t -> t.startsWith("PongWebSocketFrame") ? "PongWebSocketFrame" : t).toList());
    }

    @Test
    void aProbeWeAreClosingIsNotSwitchedTo() {
        String sid = connectedSession();
        EmbeddedChannel ws = probe(sid);
        ws.writeInbound(new TextWebSocketFrame("2probe"));
        texts(ws);
        ws.pipeline().get(WebSocketTransport.class).close(io.herald.protocol.Disconnect.PROTOCOL_ERROR);
        ws.writeInbound(new TextWebSocketFrame("5"));
        loop.runPendingTasks();
        assertNotNull(((PollingEndpoint) dialect.pollingEndpoint()).get(sid), "still a polling session");
        CompletableFuture<FullHttpResponse> poll = request(HttpMethod.GET, "&sid=" + sid, null, null);
        publish("e");
        assertEquals("200 42[\"e\"]", answer(poll));
    }

    @Test
    void aProbeThatDiesBeforeThe5LeavesPollingAsItWas() {
        String sid = connectedSession();
        EmbeddedChannel ws = probe(sid);
        ws.writeInbound(new TextWebSocketFrame("2probe"));
        texts(ws);
        ws.close();
        loop.runPendingTasks();
        CompletableFuture<FullHttpResponse> poll = request(HttpMethod.GET, "&sid=" + sid, null, null);
        loop.advanceTimeBy(20, TimeUnit.MILLISECONDS);
        loop.runScheduledPendingTasks();
        assertFalse(poll.isDone(), "polls are held again: no noop once the probe is gone");
        publish("e");
        assertEquals("200 42[\"e\"]", answer(poll));
    }

    @Test
    void aSecondProbeOnTheSameSessionIsClosed() {
        String sid = connectedSession();
        probe(sid);
        EmbeddedChannel second = probe(sid);
        assertEquals(List.of("close 1000"), texts(second));
    }

    @Test
    void anythingButTheProbeAndTheUpgradeOnACandidateIsAProtocolError() {
        String sid = connectedSession();
        EmbeddedChannel ws = probe(sid);
        ws.writeInbound(new TextWebSocketFrame("42[\"hello\"]"));
        assertEquals(List.of("close 1002"), texts(ws));
        assertEquals(1, connections.size(), "the polling session goes on");
    }

    @Test
    void anotherUsersTokenCannotUpgradeTheSession() {
        String sid = connectedSession();
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET,
                "/socket.io/?EIO=4&transport=websocket&sid=" + sid);
        req.headers().set(HttpHeaderNames.AUTHORIZATION, "Bearer " + SocketIoDialectTest.token("bob"));
        QueryStringDecoder q = new QueryStringDecoder(req.uri());
        io.herald.protocol.Refusal refused = dialect.refuseUpgrade(req, q, null).toCompletableFuture().join();
        req.release();
        assertEquals(new io.herald.protocol.Refusal(403, "{\"code\":4,\"message\":\"Forbidden\"}"), refused);
        assertEquals("403 {\"code\":4,\"message\":\"Forbidden\"}", answer(request(HttpMethod.GET, "&sid=" + sid, null,
                SocketIoDialectTest.token("bob"))), "nor poll it");
    }

    @Test
    void anUnknownSidIsNotContinued() {
        assertNull(dialect.continues(new QueryStringDecoder("/socket.io/?EIO=4&transport=websocket&sid=nope")));
        assertEquals("400 {\"code\":1,\"message\":\"Session ID unknown\"}",
                answer(request(HttpMethod.GET, "&sid=nope", null, null)));
    }

    /**
     * §8.4 on long-polling as on a WebSocket: a POST of pings past the command rate gets no more answers past the
     * burst and, far past it, ends the session; the answers given still go out with the next poll.
     */
    @Test
    void postedPacketsAreHeldToTheCommandRate() {
        String sid = connectedSession();
        StringBuilder pings = new StringBuilder("2");
        for (int i = 1; i < 300; i++) {
            pings.append(SEP).append('2');
        }
        assertEquals("200 ok", answer(request(HttpMethod.POST, "&sid=" + sid, pings.toString(), null)));
        String polled = answer(request(HttpMethod.GET, "&sid=" + sid, null, null));
        assertTrue(polled.startsWith("200 3"), polled);
        int answered = polled.substring(4).split(String.valueOf(SEP)).length;
        assertTrue(answered <= EmbeddedConnection.POLICY.commandBurst() + 1, answered + " pings answered");
        assertEquals("400 {\"code\":1,\"message\":\"Session ID unknown\"}",
                answer(request(HttpMethod.GET, "&sid=" + sid, null, null)), "closed as rate limited (1008)");
    }
}
