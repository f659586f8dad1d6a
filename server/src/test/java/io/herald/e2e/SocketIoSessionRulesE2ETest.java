package io.herald.e2e;

import io.herald.auth.TokenIssuer;
import io.herald.config.ConfigKey;
import io.herald.testing.TestServer;
import io.herald.testing.WsTestClient;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * §7 "a session is a connection, whatever its transport": a long-polling session is held to §8 exactly as a
 * WebSocket is: the connection cap, Origin (with CORS for allowed origins), expiry at its deadline, the connect
 * timeout, same-user upgrades and polls, and the drain at shutdown.
 */
class SocketIoSessionRulesE2ETest {
    static final String APP = "http://app.example";

    static HttpResponse<String> polling(TestServer server, String method, String query, String body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.http("/socket.io/?EIO=4&transport=polling" + query)))
                .timeout(Duration.ofSeconds(15));
        if (headers.length > 0) {
            b.headers(headers);
        }
        HttpRequest r = body == null ? b.method(method, HttpRequest.BodyPublishers.noBody()).build()
                : b.method(method, HttpRequest.BodyPublishers.ofString(body)).build();
        return TestServer.send(r);
    }

    static String sidOf(HttpResponse<String> open) {
        assertEquals(200, open.statusCode(), open.body());
        return open.body().replaceAll(".*\"sid\":\"([^\"]+)\".*", "$1");
    }

    @Test
    void pollingSessionsCountUnderTheConnectionCapLikeWebSockets() {
        try (TestServer server = TestServer.start(b -> b.set(ConfigKey.MAX_CONNECTIONS, "3"))) {
            for (int i = 0; i < 3; i++) {
                sidOf(polling(server, "GET", "", null));
            }
            assertEquals(503, polling(server, "GET", "", null).statusCode(), "a fourth session is refused");
            WsTestClient ws = WsTestClient.start(server.ws("/api/v1/realtime/ws?token=" + server.userToken("w")),
                    new DefaultHttpHeaders());
            ws.handshakeDone().exceptionally(t -> null).join();
            assertEquals(503, ws.httpStatus(), "so is a WebSocket: the cap counts sessions, not transports");
            ws.close();
        }
    }

    @Test
    void pollingChecksTheOriginAndAnswersAllowedOnesWithCors() {
        try (TestServer server = TestServer.start(b -> b.set(ConfigKey.ALLOWED_ORIGINS, APP))) {
            assertEquals(403, polling(server, "GET", "", null, "Origin", "http://evil.example").statusCode());
            HttpResponse<String> open = polling(server, "GET", "", null, "Origin", APP);
            String sid = sidOf(open);
            assertEquals(APP, open.headers().firstValue("Access-Control-Allow-Origin").orElse(null));
            assertEquals("true", open.headers().firstValue("Access-Control-Allow-Credentials").orElse(null));
            HttpResponse<String> preflight = polling(server, "OPTIONS", "&sid=" + sid, null, "Origin", APP,
                    "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type");
            assertEquals(204, preflight.statusCode());
            assertEquals(APP, preflight.headers().firstValue("Access-Control-Allow-Origin").orElse(null));
            assertEquals("content-type", preflight.headers().firstValue("Access-Control-Allow-Headers").orElse(null));
            assertEquals(403, polling(server, "POST", "&sid=" + sid, "40", "Origin", "http://evil.example").statusCode(),
                    "every request of the session is checked, not only the handshake");
            HttpResponse<String> post = polling(server, "POST", "&sid=" + sid, "40", "Origin", APP);
            assertEquals("ok", post.body());
            assertEquals(APP, post.headers().firstValue("Access-Control-Allow-Origin").orElse(null));
        }
    }

    @Test
    void aPollingSessionEndsAtItsTokensExpiryNotAtTheNextPing() throws Exception {
        try (TestServer server = TestServer.start(b -> b.set(ConfigKey.JWT_LEEWAY, "0s"))) {
            String token = new TokenIssuer(TestServer.SECRET).issue("exp", List.of(), List.of(), List.of(), List.of(),
                    Duration.ofSeconds(2));
            String sid = sidOf(polling(server, "GET", "&token=" + token, null));
            assertEquals("ok", polling(server, "POST", "&sid=" + sid, "40").body());
            assertTrue(polling(server, "GET", "&sid=" + sid, null).body().startsWith("40"));
            Thread.sleep(3_500); // past exp (2 s, no leeway), long before the 25 s ping
            server.publish("{\"topic\":\"user:exp\",\"event_type\":\"late\"}");
            HttpResponse<String> after = polling(server, "GET", "&sid=" + sid, null);
            assertFalse(after.body().contains("late"), "no event after the token expired: " + after.body());
            assertEquals(400, after.statusCode(), "the session is gone");
        }
    }

    @Test
    void aSessionThatNeverConnectsIsClosedAfterTenSeconds() throws Exception {
        try (TestServer server = TestServer.start()) {
            String sid = sidOf(polling(server, "GET", "", null));
            long start = System.nanoTime();
            HttpResponse<String> poll = polling(server, "GET", "&sid=" + sid, null); // held until the session ends
            long waited = (System.nanoTime() - start) / 1_000_000;
            assertTrue(waited >= 9_000 && waited < 14_000, "closed after " + waited + " ms");
            assertNotEquals(-1, poll.statusCode());
            assertEquals(400, polling(server, "GET", "&sid=" + sid, null).statusCode(), "gone");
        }
    }

    @Test
    void anotherUsersCredentialsCannotTakeOverAPollingSession() {
        try (TestServer server = TestServer.start()) {
            String sid = sidOf(polling(server, "GET", "&token=" + server.userToken("alice"), null));
            assertEquals("ok", polling(server, "POST", "&sid=" + sid, "40").body());
            String bob = server.userToken("bob");
            assertEquals(403, polling(server, "GET", "&sid=" + sid + "&token=" + bob, null).statusCode());
            assertEquals(403, polling(server, "POST", "&sid=" + sid, "1", "Authorization", "Bearer " + bob).statusCode());
            WsTestClient upgrade = WsTestClient.start(server.ws("/socket.io/?EIO=4&transport=websocket&sid=" + sid
                    + "&token=" + bob), new DefaultHttpHeaders());
            upgrade.handshakeDone().exceptionally(t -> null).join();
            assertEquals(403, upgrade.httpStatus(), "bob's upgrade onto alice's session is refused");
            upgrade.close();
            assertTrue(polling(server, "GET", "&sid=" + sid + "&token=" + server.userToken("alice"), null).body()
                    .startsWith("40"), "alice's own credentials still poll it");
        }
    }

    @Test
    void theDrainAtShutdownEndsPollingSessionsToo() throws Exception {
        TestServer server = TestServer.start(b -> b.set(ConfigKey.DRAIN, "200ms"));
        String sid = sidOf(polling(server, "GET", "&token=" + server.userToken("d"), null));
        assertEquals("ok", polling(server, "POST", "&sid=" + sid, "40").body());
        polling(server, "GET", "&sid=" + sid, null);
        assertEquals(1, server.gateway().connections().size(), "the registry holds the polling session");
        CompletableFuture<HttpResponse<String>> waiting = CompletableFuture.supplyAsync(
                () -> polling(server, "GET", "&sid=" + sid, null));
        Thread.sleep(300);
        long start = System.nanoTime();
        server.close();
        assertTrue((System.nanoTime() - start) / 1_000_000 < 3_000, "the drain did not wait for the session");
        HttpResponse<String> answer = waiting.get();
        assertEquals(200, answer.statusCode());
        assertEquals(0, server.gateway().connections().size());
    }
}
