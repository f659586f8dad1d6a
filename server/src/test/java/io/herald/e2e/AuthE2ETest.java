package io.herald.e2e;

import io.herald.testing.RawHttp;
import io.herald.testing.TestServer;
import io.herald.testing.WsTestClient;
import io.jsonwebtoken.Jwts;
import io.jsonwebtoken.security.Keys;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** §2 tokens on the upgrade, §4/§5 close codes: every invalid token completes the handshake then closes 4401. */
class AuthE2ETest {
    @RegisterExtension
    static final TestServer server = TestServer.perClass();

    record Case(String name, String token) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> invalidTokens() {
        var secret = Keys.hmacShaKeyFor(TestServer.SECRET.getBytes(StandardCharsets.UTF_8));
        var otherSecret = Keys.hmacShaKeyFor("another-secret-another-secret-another-secret!!".getBytes(StandardCharsets.UTF_8));
        Instant now = Instant.now();
        String header = b64("{\"alg\":\"none\",\"typ\":\"JWT\"}");
        String payload = b64("{\"sub\":\"alice\",\"exp\":" + (now.getEpochSecond() + 3600) + ",\"shares\":[\"s1\"]}");
        return Stream.of(
                new Case("none", null),
                new Case("garbage", "not-a-jwt"),
                new Case("bad signature", Jwts.builder().subject("alice").expiration(Date.from(now.plusSeconds(3600)))
                        .signWith(otherSecret).compact()),
                new Case("alg none", header + "." + payload + "."),
                new Case("expired", Jwts.builder().subject("alice").expiration(Date.from(now.minusSeconds(60)))
                        .signWith(secret).compact()),
                new Case("no exp", Jwts.builder().subject("alice").signWith(secret).compact()));
    }

    private static String b64(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    @ParameterizedTest(name = "realtime 4401: {0}")
    @MethodSource("invalidTokens")
    void realtimeClosesUnauthorized(Case c) {
        String q = c.token() == null ? "" : "?token=" + c.token();
        try (WsTestClient ws = WsTestClient.connect(server.ws("/api/v1/realtime/ws" + q))) {
            assertEquals(new WsTestClient.Closed(4401, "unauthorized"), ws.awaitClose());
            assertEquals(List.of(), ws.drain(), "nothing is sent before the close");
        }
    }

    @ParameterizedTest(name = "sync 4401: {0}")
    @MethodSource("invalidTokens")
    void syncClosesUnauthorized(Case c) {
        String q = c.token() == null ? "" : "?token=" + c.token();
        try (WsTestClient ws = WsTestClient.connect(server.ws("/api/v1/sync/ws/d1" + q))) {
            assertEquals(4401, ws.awaitClose().code());
        }
    }

    @Test
    void syncDeviceNotInTokenCloses4403() {
        String token = server.token("alice", List.of("s1"), List.of("d1"), List.of());
        try (WsTestClient ws = WsTestClient.connect(server.ws("/api/v1/sync/ws/d2?token=" + token))) {
            assertEquals(new WsTestClient.Closed(4403, "device not registered"), ws.awaitClose());
        }
    }

    @Test
    void authorizationHeaderIsAccepted() {
        HttpHeaders h = new DefaultHttpHeaders().add("Authorization", "Bearer " + server.userToken("alice", "s1"));
        try (WsTestClient ws = WsTestClient.connect(server.ws("/api/v1/realtime/ws"), h)) {
            assertEquals("connected", ws.nextJson().get("type").asText());
        }
    }

    @Test
    void headerWinsOverQueryParameter() {
        HttpHeaders good = new DefaultHttpHeaders().add("Authorization", "Bearer " + server.userToken("alice", "s1"));
        try (WsTestClient ws = WsTestClient.connect(server.ws("/api/v1/realtime/ws?token=garbage"), good)) {
            assertEquals("alice", ws.nextJson().get("user_id").asText());
        }
        HttpHeaders bad = new DefaultHttpHeaders().add("Authorization", "Bearer garbage");
        String query = "?token=" + server.userToken("alice", "s1");
        try (WsTestClient ws = WsTestClient.connect(server.ws("/api/v1/realtime/ws" + query), bad)) {
            assertEquals(4401, ws.awaitClose().code());
        }
    }

    /** §2: a token never appears in a log line; the refused upgrade is logged with {@code token=<redacted>}. */
    @Test
    void tokensNeverReachTheLog() {
        String token = Jwts.builder().subject("alice").expiration(Date.from(Instant.now().plusSeconds(60)))
                .signWith(Keys.hmacShaKeyFor("a-secret-herald-does-not-know-of-32b".getBytes(StandardCharsets.UTF_8)))
                .compact();
        java.io.PrintStream original = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true, StandardCharsets.UTF_8));
        try (WsTestClient ws = WsTestClient.connect(server.ws("/api/v1/realtime/ws?x=1&token=" + token))) {
            assertEquals(4401, ws.awaitClose().code());
        } finally {
            System.setErr(original);
        }
        String log = captured.toString(StandardCharsets.UTF_8);
        original.print(log);
        assertTrue(log.contains("/api/v1/realtime/ws?x=1&token=<redacted>"), log);
        assertFalse(log.contains(token.substring(token.lastIndexOf('.') + 1)), log);
        assertFalse(log.contains(token.substring(0, token.indexOf('.'))), log);
    }

    /** A request target Netty cannot decode is a 400, and neither the answer nor any log line quotes it. */
    @Test
    void malformedTargetsAre400AndTheirTokenIsNotLogged() throws Exception {
        String token = server.userToken("alice", "s1");
        java.io.PrintStream original = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true, StandardCharsets.UTF_8));
        String status;
        try {
            status = RawHttp.exchange(server.port(), "GET /api/v1/realtime/ws?token=" + token + "&x=% HTTP/1.1\r\n"
                    + "Host: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
        } finally {
            System.setErr(original);
        }
        assertTrue(status.startsWith("HTTP/1.1 400"), status);
        String log = captured.toString(StandardCharsets.UTF_8);
        original.print(log);
        assertFalse(log.contains(token.substring(token.lastIndexOf('.') + 1)), log);
        assertFalse(status.contains(token.substring(token.lastIndexOf('.') + 1)), status);
    }

    /** RFC 6455 §4.2.1: a broken opening handshake is answered with HTTP, never a dropped connection. */
    @Test
    void brokenHandshakesGetHttpErrors() throws Exception {
        String upgrade = "Host: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n";
        String post = RawHttp.exchange(server.port(), "POST /api/v1/realtime/ws HTTP/1.1\r\n" + upgrade
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nContent-Length: 0\r\n\r\n");
        assertTrue(post.startsWith("HTTP/1.1 405"), post);
        String noKey = RawHttp.exchange(server.port(), "GET /api/v1/realtime/ws HTTP/1.1\r\n" + upgrade + "\r\n");
        assertTrue(noKey.startsWith("HTTP/1.1 400"), noKey);
    }

    @Test
    void plainGetOnWebSocketPathIs400AndUnknownPathIs404() {
        assertEquals(400, server.get("/api/v1/realtime/ws", null).statusCode());
        assertEquals(404, server.get("/nope", null).statusCode());
    }
}
