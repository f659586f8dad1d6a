package io.herald.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.herald.config.ConfigKey;
import io.herald.testing.NodeBackend;
import io.herald.testing.ServerLog;
import io.herald.testing.SocketIoNodeClient;
import io.herald.testing.TestServer;
import io.herald.testing.WsTestClient;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * §12 auth proxy against a real backend process ({@code backend.js}, see {@link NodeBackend}): opaque credentials
 * accepted (with the answer's session and events), refused (4401, cached 5 s), and a backend that fails, is slow or
 * is down (1013, never 4401, never cached); 50 concurrent connects of one credential make one call; a JWS makes none;
 * Socket.IO with Immich's header, over WebSocket and long-polling.
 */
class AuthProxyE2ETest {
    static NodeBackend backend;
    static TestServer server;

    @BeforeAll
    static void start() {
        backend = NodeBackend.start();
        server = TestServer.start(b -> b.set(ConfigKey.AUTH_PROXY, backend.authUrl())
                .set(ConfigKey.AUTH_PROXY_TIMEOUT, "700ms")
                .set(ConfigKey.JWT_LEEWAY, "0s"));
    }

    @AfterAll
    static void stop() {
        server.close();
        backend.close();
    }

    @BeforeEach
    void reset() {
        backend.reset();
    }

    static String q(String token) {
        return URLEncoder.encode(token, StandardCharsets.UTF_8);
    }

    static WsTestClient realtime(String token) {
        return WsTestClient.connect(server.ws("/api/v1/realtime/ws?token=" + q(token)));
    }

    @Test
    void anOpaqueTokenIsTheBackendsUserWithItsSessionAndEvents() throws Exception {
        try (WsTestClient ws = realtime("ok:alice:sess-1")) {
            JsonNode connected = ws.nextJson();
            assertEquals("connected", connected.get("type").asText());
            assertEquals("alice", connected.get("user_id").asText());
            assertEquals("{\"type\":\"on_server_version\",\"data\":{\"major\":1,\"minor\":2,\"patch\":3}}", ws.next(),
                    "§12: the answer's events, right after connected, framed as a user event");
            JsonNode call = backend.lastCall();
            assertEquals("realtime", call.get("endpoint").asText());
            assertEquals("ok:alice:sess-1", call.get("token").asText());
            assertEquals("127.0.0.1", call.get("remote_addr").asText());
            assertTrue(call.get("headers").isObject());
            Thread.sleep(200); // the session subscription is confirmed after connected
            server.publish("{\"topic\":\"session:sess-1\",\"event_type\":\"logout\",\"data\":{}}");
            assertEquals("{\"type\":\"logout\",\"data\":{}}", ws.next(), "session:{id} from the proxy's session_id");
            ws.send("{\"action\":\"subscribe\",\"share_id\":\"s1\"}");
            assertEquals("subscribed", ws.nextJson().get("type").asText(), "the answer's shares are the connection's");
        }
    }

    @Test
    void theConfiguredHeadersReachTheBackendAndOthersDoNot() {
        DefaultHttpHeaders h = new DefaultHttpHeaders();
        h.set("x-api-key", "ok:kim");
        h.set("x-secret-other", "never forwarded");
        h.set("cookie", "a=1");
        try (WsTestClient ws = WsTestClient.connect(server.ws("/api/v1/realtime/ws"), h)) {
            assertEquals("kim", ws.nextJson().get("user_id").asText());
            JsonNode headers = backend.lastCall().get("headers");
            assertEquals("ok:kim", headers.get("x-api-key").asText());
            assertEquals("a=1", headers.get("cookie").asText());
            assertNull(headers.get("x-secret-other"), headers.toString());
            assertNull(backend.lastCall().get("token"), "no token query, no token field");
        }
    }

    @Test
    void refusedCredentialsClose4401AndTheRefusalIsKeptFiveSeconds() {
        for (String token : List.of("bad:x", "forbidden:x", "bad:x")) {
            try (WsTestClient ws = realtime(token)) {
                assertEquals(4401, ws.awaitClose().code(), token);
            }
        }
        assertEquals(2, backend.calls(), "the second bad:x was answered from the 5 s negative cache");
    }

    @Test
    void aBackendThatFailsIsTryAgainLaterNeverUnauthorizedAndNotCached() {
        for (String token : List.of("broken:x", "garbage:x", "huge:x", "broken:x")) {
            try (WsTestClient ws = realtime(token)) {
                WsTestClient.Closed closed = ws.awaitClose();
                assertEquals(1013, closed.code(), token);
                assertEquals("try again later", closed.reason());
            }
        }
        assertEquals(4, backend.calls(), "an outage is not remembered: the next connect asks again");
    }

    @Test
    void aSlowBackendIsTryAgainLaterAfterTheTimeout() {
        backend.delay(Duration.ofSeconds(3));
        long t0 = System.nanoTime();
        try (WsTestClient ws = realtime("ok:slow")) {
            assertEquals(1013, ws.awaitClose().code());
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms >= 600 && ms < 2500, "closed at the 700 ms timeout, not at the backend's answer: " + ms);
    }

    @Test
    void fiftyConcurrentConnectsOfOneCredentialMakeOneCall() throws Exception {
        backend.delay(Duration.ofMillis(300)); // all 50 arrive while the first call is out
        List<WsTestClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 50; i++) {
                clients.add(WsTestClient.start(server.ws("/api/v1/realtime/ws?token=" + q("ok:storm:s-storm")),
                        new DefaultHttpHeaders()));
            }
            for (WsTestClient c : clients) {
                assertEquals("storm", c.nextJson().get("user_id").asText());
            }
            assertEquals(1, backend.calls(), "single flight per credential");
            try (WsTestClient late = realtime("ok:storm:s-storm")) {
                assertEquals("storm", late.nextJson().get("user_id").asText());
            }
            assertEquals(1, backend.calls(), "then the cache");
        } finally {
            clients.forEach(WsTestClient::close);
        }
    }

    @Test
    void aJwsIsVerifiedLocallyWithoutACall() {
        try (WsTestClient ws = realtime(server.userToken("jo", "s1"))) {
            assertEquals("jo", ws.nextJson().get("user_id").asText());
        }
        try (WsTestClient ws = realtime(server.userToken("jo", "s1") + "x")) {
            assertEquals(4401, ws.awaitClose().code(), "a configured key decides a JWS alone");
        }
        assertEquals(0, backend.calls());
    }

    @Test
    void anAcceptedAnswerIsNeverUsedPastItsExpiry() throws Exception {
        try (WsTestClient ws = realtime("ok:eve::1")) {
            assertEquals("eve", ws.nextJson().get("user_id").asText());
            WsTestClient.Closed closed = ws.awaitClose();
            assertEquals(4401, closed.code(), "§8.2 at expires_at");
            assertEquals("token expired", closed.reason());
        }
        try (WsTestClient ws = realtime("ok:eve::1")) {
            ws.nextJson();
        }
        assertEquals(2, backend.calls(), "the cache (30 s) did not outlive expires_at (1 s)");
    }

    @Test
    void aRevokedSessionCannotComeBackOnACachedAnswer() {
        try (WsTestClient ws = realtime("ok:rev:sess-r")) {
            ws.nextJson();
            assertEquals(202, server.post("/api/v1/disconnect", server.adminToken(), "{\"session\":\"sess-r\"}")
                    .statusCode());
            assertEquals(4401, ws.awaitClose().code());
        }
        try (WsTestClient ws = realtime("ok:rev:sess-r")) {
            assertEquals("rev", ws.nextJson().get("user_id").asText());
        }
        assertEquals(2, backend.calls(), "the revoked session's cached answer was forgotten: the backend decides again");
    }

    @Test
    void syncAndChannelsTakeTheAnswerToo() {
        try (WsTestClient sync = WsTestClient.connect(server.ws("/api/v1/sync/ws/d1?token=" + q("ok:sy")))) {
            sync.send("{\"type\":\"subscribe\"}");
            assertEquals("{\"type\":\"subscribed\",\"shares\":[\"s1\"]}", sync.next());
            assertEquals("{\"event_type\":\"on_server_version\",\"data\":{\"major\":1,\"minor\":2,\"patch\":3}}",
                    sync.next(), "§4: nothing before subscribed; the events right after it");
        }
        try (WsTestClient ch = WsTestClient.connect(server.ws("/ws?token=" + q("noexp:chi")))) {
            JsonNode connected = ch.nextJson();
            assertEquals("chi", connected.get("data").get("user_id").asText());
            assertTrue(connected.get("data").get("expires_at").isNull(), "no expires_at from the backend: none");
            assertEquals("on_server_version", ch.nextJson().get("type").asText());
            ch.send("{\"type\":\"subscribe\",\"id\":\"1\",\"data\":{\"channel\":\"room:1\"}}");
            assertEquals("subscribed", ch.nextJson().get("type").asText());
            ch.send("{\"type\":\"refresh\",\"id\":\"2\",\"data\":{\"token\":\"ok:chi\"}}");
            assertEquals("refreshed", ch.nextJson().get("type").asText(), "§6 refresh with an opaque token");
            ch.send("{\"type\":\"refresh\",\"id\":\"3\",\"data\":{\"token\":\"ok:someone-else\"}}");
            JsonNode err = ch.nextJson();
            assertEquals("unauthorized", err.get("data").get("code").asText());
            assertEquals(4401, ch.awaitClose().code());
        }
    }

    @Test
    void socketIoWithImmichsHeaderOverWebSocketAndPolling() {
        for (String transport : List.of("websocket", "polling")) {
            ObjectNode o = SocketIoNodeClient.options("http://127.0.0.1:" + server.port());
            o.put("path", "/api/socket.io");
            o.putArray("transports").add(transport);
            o.putObject("extraHeaders").put("x-immich-user-token", "ok:ian:sess-i");
            try (SocketIoNodeClient ian = SocketIoNodeClient.start(o)) {
                ian.next("connect");
                JsonNode version = ian.nextEvent("on_server_version");
                assertEquals("{\"major\":1,\"minor\":2,\"patch\":3}", version.get("args").get(0).toString(), transport);
                assertEquals("socketio", backend.lastCall().get("endpoint").asText());
                assertEquals("ok:ian:sess-i", backend.lastCall().get("headers").get("x-immich-user-token").asText());
                server.publish("{\"topic\":\"session:sess-i\",\"event_type\":\"on_session_x\",\"data\":2}");
                assertEquals(2, ian.nextEvent("on_session_x").get("args").get(0).asInt(), transport);
            }
        }
    }

    static final java.net.http.HttpClient HTTP = java.net.http.HttpClient.newHttpClient();

    /** A long-polling request with Immich's header carrying {@code credential}. */
    static java.net.http.HttpRequest.Builder as(String credential, String url) {
        return java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).header("x-immich-user-token", credential)
                .timeout(Duration.ofSeconds(10));
    }

    /** Opens a long-polling session with {@code credential} and CONNECTs it; returns its sid. */
    static String connectedPollingSession(String credential) throws Exception {
        String base = server.http("/socket.io/?EIO=4&transport=polling");
        String open = HTTP.send(as(credential, base).GET().build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        String sid = WsTestClient.json(open.substring(1)).get("sid").asText();
        String session = base + "&sid=" + sid;
        assertEquals(200, HTTP.send(as(credential, session).POST(java.net.http.HttpRequest.BodyPublishers
                .ofString("40")).build(), java.net.http.HttpResponse.BodyHandlers.ofString()).statusCode());
        java.net.http.HttpResponse<String> connected = HTTP.send(as(credential, session).GET().build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertTrue(connected.body().startsWith("40{"), connected.body());
        return sid;
    }

    @Test
    void aPollingRequestWithAnotherUsersOpaqueCredentialsIsRefused() throws Exception {
        String session = server.http("/socket.io/?EIO=4&transport=polling&sid=" + connectedPollingSession("ok:pam:s-pam"));
        java.net.http.HttpResponse<String> other = HTTP.send(as("ok:mallory", session).GET().build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(403, other.statusCode(), "§7: credentials of another user than the session's: " + other.body());
    }

    /**
     * §7 on the upgrade path too: a WebSocket upgrade of a polling session with another user's opaque credentials is
     * refused 403 before any handshake (the backend says whose they are), while the session's own user upgrades.
     */
    @Test
    void anUpgradeWithAnotherUsersOpaqueCredentialsIsRefused() throws Exception {
        String sid = connectedPollingSession("ok:quinn:s-q");
        String upgrade = server.ws("/socket.io/?EIO=4&transport=websocket&sid=" + sid);
        backend.reset();
        WsTestClient mallory = WsTestClient.start(upgrade, new DefaultHttpHeaders().set("x-immich-user-token", "ok:mallory"));
        try {
            assertTrue(mallory.handshakeDone().handle((ok, t) -> t != null)
                    .get(WsTestClient.WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS), "no WebSocket");
            assertEquals(403, mallory.httpStatus(), "§7: another user's credentials on this session");
        } finally {
            mallory.close();
        }
        assertEquals(1, backend.calls(), "the backend said whose they are");
        try (WsTestClient own = WsTestClient.connect(upgrade,
                new DefaultHttpHeaders().set("x-immich-user-token", "ok:quinn:s-q"))) {
            assertEquals(101, own.httpStatus(), "the session's own user upgrades");
            own.send("2probe");
            assertEquals("3probe", own.next());
        }
    }

    /** A request pipelined behind an upgrade that waits for the backend gets no answer: the connection just closes. */
    @Test
    void aRequestPipelinedBehindAPendingUpgradeClosesTheConnection() throws Exception {
        String open = HTTP.send(as("ok:rita:s-r", server.http("/socket.io/?EIO=4&transport=polling")).GET().build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body(); // opened, not CONNECTed: no backend call
        String sid = WsTestClient.json(open.substring(1)).get("sid").asText();
        backend.delay(Duration.ofMillis(300)); // the upgrade's credentials are not in the cache: it waits
        String upgrade = "GET /socket.io/?EIO=4&transport=websocket&sid=" + sid + " HTTP/1.1\r\nHost: x\r\n"
                + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nx-immich-user-token: ok:someone-else\r\n\r\n";
        String second = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write((upgrade + second).getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            assertEquals(-1, socket.getInputStream().read(), "closed with no answer to either request");
        }
        // the backend was asked all the same: wait for that call to arrive, so it is not counted in the next test
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (backend.calls() < 1 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(1, backend.calls(), "the upgrade's credentials went to the backend");
    }

    @Test
    void socketIoIsToldUnauthorizedOrUnavailableInItsOwnWords() {
        ObjectNode o = SocketIoNodeClient.options("http://127.0.0.1:" + server.port());
        o.putArray("transports").add("websocket");
        o.put("reconnection", false);
        o.putObject("auth").put("token", "bad:sio");
        try (SocketIoNodeClient c = SocketIoNodeClient.start(o)) {
            assertEquals("unauthorized", c.next("connect_error").get("message").asText());
        }
        o.putObject("auth").put("token", "broken:sio");
        try (SocketIoNodeClient c = SocketIoNodeClient.start(o)) {
            assertEquals("unavailable", c.next("connect_error").get("message").asText(), "§12: never unauthorized");
        }
    }

    @Test
    void aBackendThatIsDownIsTryAgainLaterAndNoCredentialReachesTheLog() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        try (TestServer down = TestServer.start(b -> b.set(ConfigKey.AUTH_PROXY, "http://127.0.0.1:" + closedPort + "/auth")
                .set(ConfigKey.AUTH_PROXY_TIMEOUT, "500ms"))) {
            String log = ServerLog.during(() -> {
                try (WsTestClient ws = WsTestClient.connect(down.ws("/api/v1/realtime/ws?token=ok%3Asecret-credential"))) {
                    assertEquals(1013, ws.awaitClose().code());
                }
            });
            assertTrue(log.contains("auth proxy unreachable"), "the outage is logged: " + log);
            assertFalse(log.contains("secret-credential"), log);
        }
    }
}
