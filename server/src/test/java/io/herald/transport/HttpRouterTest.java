package io.herald.transport;

import io.herald.api.HealthApi;
import io.herald.auth.TokenIssuer;
import io.herald.auth.TokenVerifier;
import io.herald.broker.local.LocalBroker;
import io.herald.hub.FrameRenderer;
import io.herald.hub.Hub;
import io.herald.metrics.Stats;
import io.herald.protocol.ConnectionCore;
import io.herald.protocol.Connections;
import io.herald.protocol.DialectHandler;
import io.herald.protocol.realtime.RealtimeDialect;
import io.herald.protocol.sync.SyncDialect;
import io.herald.testing.EmbeddedConnection;
import io.herald.testing.ServerLog;
import io.herald.testing.TestServer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The handshake/JWT stage on an EmbeddedChannel: routing, upgrade, 4401/4403 after the handshake (§2, §4, §5). */
class HttpRouterTest {
    final Stats stats = new Stats();
    final LocalBroker broker = new LocalBroker();
    final SyncDialect sync = new SyncDialect();
    final RealtimeDialect realtime = new RealtimeDialect(EmbeddedConnection.CLOCK);
    final Hub hub = new Hub(List.<FrameRenderer>of(sync, realtime), broker, ByteBufAllocator.DEFAULT, stats);
    final TokenVerifier verifier = TokenVerifier.from(
            io.herald.config.HeraldConfig.builder().jwtSecret(TestServer.SECRET).build(), Clock.systemUTC());
    final TokenIssuer issuer = new TokenIssuer(TestServer.SECRET);
    final Routes routes = new Routes()
            .dialectWithParameter("/api/v1/sync/ws/", sync)
            .dialect("/api/v1/realtime/ws", realtime)
            .http("/healthz", HealthApi.live(), RouteSpec.of(RouteSpec.SMALL_BODY, HttpMethod.GET, HttpMethod.HEAD));
    final HttpRouter router = new HttpRouter(routes, verifier,
            new ConnectionCore(hub, stats, new Connections(Duration.ofSeconds(90), Clock.systemUTC()), EmbeddedConnection.POLICY),
            new OriginPolicy(List.of(), false), 65536);
    final EmbeddedChannel ch = new EmbeddedChannel();

    HttpRouterTest() {
        HeraldChannelInitializer.configure(ch.pipeline(), routes, router, 10_000);
    }

    @AfterEach
    void release() {
        ch.finishAndReleaseAll();
    }

    String token(String sub, List<String> shares, List<String> devices) {
        return issuer.issue(sub, shares, devices, List.of(), List.of(), Duration.ofHours(1));
    }

    void request(String target, String... headers) {
        StringBuilder r = new StringBuilder("GET " + target + " HTTP/1.1\r\nHost: localhost\r\n");
        for (String h : headers) {
            r.append(h).append("\r\n");
        }
        ch.writeInbound(Unpooled.copiedBuffer(r.append("\r\n").toString(), StandardCharsets.US_ASCII));
        ch.runPendingTasks();
    }

    void upgrade(String target, String... extra) {
        String[] base = {"Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
                "Sec-WebSocket-Version: 13"};
        String[] all = java.util.stream.Stream.concat(java.util.Arrays.stream(base), java.util.Arrays.stream(extra))
                .toArray(String[]::new);
        request(target, all);
    }

    /** The next outbound bytes as text (HTTP responses are encoded by the codec). */
    String nextOutboundText() {
        ByteBuf b = ch.readOutbound();
        assertNotNull(b, "expected output");
        try {
            return b.toString(StandardCharsets.ISO_8859_1);
        } finally {
            b.release();
        }
    }

    /** Decodes the next outbound WebSocket frame as a client would. */
    Object nextFrame() {
        EmbeddedChannel client = new EmbeddedChannel(new WebSocket13FrameDecoder(false, false, 1 << 20));
        Object o;
        while ((o = ch.readOutbound()) != null) {
            client.writeInbound(o);
            Object frame = client.readInbound();
            if (frame != null) {
                client.finishAndReleaseAll();
                return frame;
            }
        }
        client.finishAndReleaseAll();
        return null;
    }

    @Test
    void validTokenUpgradesAndInstallsTheDialectRouter() {
        upgrade("/api/v1/realtime/ws?token=" + token("alice", List.of("s1"), List.of()));
        String response = nextOutboundText();
        assertTrue(response.startsWith("HTTP/1.1 101 Switching Protocols"), response);
        assertTrue(response.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), "RFC 6455 §1.3 accept key");
        assertNull(ch.pipeline().get(HandlerNames.HTTP_ROUTER));
        assertNull(ch.pipeline().get(HandlerNames.HTTP_ENCODER));
        assertNull(ch.pipeline().get(HandlerNames.HTTP_DECODER));
        assertNull(ch.pipeline().get(HandlerNames.HTTP_METHOD_GATE), "the whole HTTP stage goes");
        assertNull(ch.pipeline().get(HandlerNames.WS_UPGRADE), "the one-shot upgrade handler left before the 101");
        assertInstanceOf(DialectHandler.class, ch.pipeline().get(HandlerNames.WS_DIALECT));
        assertEquals(List.of(HandlerNames.WS_TRANSPORT, HandlerNames.WS_ENCODER, HandlerNames.WS_DECODER,
                HandlerNames.WS_UTF8, HandlerNames.WS_AGGREGATOR, HandlerNames.WS_DIALECT),
                ch.pipeline().names().subList(0, 6));
        Object connected = nextFrame();
        assertTrue(connected.toString().contains("TextWebSocketFrame"), String.valueOf(connected));
        ReferenceCountUtil.release(connected);
        assertEquals(1, stats.connections());
    }

    @Test
    void invalidTokenCompletesTheHandshakeThenCloses4401() {
        upgrade("/api/v1/realtime/ws?token=garbage");
        assertTrue(nextOutboundText().startsWith("HTTP/1.1 101"));
        CloseWebSocketFrame close = (CloseWebSocketFrame) nextFrame();
        assertEquals(4401, close.statusCode());
        assertEquals("unauthorized", close.reasonText());
        close.release();
        assertEquals(0, stats.connections(), "a refused connection is not counted");
    }

    @Test
    void missingTokenCloses4401() {
        upgrade("/api/v1/sync/ws/d1");
        assertTrue(nextOutboundText().startsWith("HTTP/1.1 101"));
        CloseWebSocketFrame close = (CloseWebSocketFrame) nextFrame();
        assertEquals(4401, close.statusCode());
        close.release();
    }

    @Test
    void unregisteredDeviceCloses4403() {
        upgrade("/api/v1/sync/ws/d2?token=" + token("alice", List.of("s1"), List.of("d1")));
        assertTrue(nextOutboundText().startsWith("HTTP/1.1 101"));
        CloseWebSocketFrame close = (CloseWebSocketFrame) nextFrame();
        assertEquals(4403, close.statusCode());
        assertEquals("device not registered", close.reasonText());
        close.release();
    }

    @Test
    void authorizationHeaderWins() {
        upgrade("/api/v1/realtime/ws?token=garbage",
                "Authorization: Bearer " + token("alice", List.of(), List.of()));
        assertTrue(nextOutboundText().startsWith("HTTP/1.1 101"));
        Object connected = nextFrame();
        assertTrue(connected.toString().contains("TextWebSocketFrame"), String.valueOf(connected));
        ReferenceCountUtil.release(connected);
    }

    @Test
    void aForeignOriginIsRefused403BeforeAnyHandshakeAndTheUpgradeHandlerLeaves() {
        upgrade("/api/v1/realtime/ws?token=" + token("alice", List.of(), List.of()), "Origin: https://evil.example");
        String r = nextOutboundText();
        assertTrue(r.startsWith("HTTP/1.1 403"), r);
        assertTrue(r.contains("origin_not_allowed"), r);
        assertNull(ch.pipeline().get(HandlerNames.WS_UPGRADE));
        assertEquals(0, stats.connections());
        assertTrue(!ch.isActive(), "the connection closes after a refusal");
    }

    @Test
    void unsupportedWebSocketVersionIsRefusedBeforeUpgrading() {
        request("/api/v1/realtime/ws", "Upgrade: websocket", "Connection: Upgrade",
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 8");
        String r = nextOutboundText();
        assertTrue(r.startsWith("HTTP/1.1 426"), r);
        assertTrue(r.contains("sec-websocket-version: 13"), r);
        assertNull(ch.pipeline().get(HandlerNames.WS_UPGRADE), "the one-shot handler left");
        upgrade("/api/v1/realtime/ws?token=" + token("alice", List.of(), List.of()));
        assertTrue(nextOutboundText().startsWith("HTTP/1.1 101"), "a retry with version 13 on the same connection");
        ReferenceCountUtil.release(nextFrame());
    }

    /** A client that leaves in the middle of a request body is the client's doing: a debug line, not a warning. */
    @Test
    void aClientLeavingMidRequestIsLoggedAtDebug() throws Exception {
        ch.writeInbound(Unpooled.copiedBuffer("GET /healthz HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n{\"a\"",
                StandardCharsets.US_ASCII));
        String log = ServerLog.during(() -> {
            ch.close();
            ch.runPendingTasks();
        });
        assertTrue(log.contains("DEBUG HttpRouter - embedded client closed mid-request"), log);
        assertFalse(log.contains("WARN"), log);
    }

    @Test
    void plainHttpIsRouted() {
        request("/healthz");
        assertTrue(nextOutboundText().startsWith("HTTP/1.1 200 OK"));
        request("/nowhere");
        assertTrue(nextOutboundText().startsWith("HTTP/1.1 404"));
        request("/api/v1/realtime/ws");
        assertTrue(nextOutboundText().startsWith("HTTP/1.1 400"));
        request("/api/v1/sync/ws/");
        assertTrue(nextOutboundText().startsWith("HTTP/1.1 404"), "a device id is required");
    }
}
