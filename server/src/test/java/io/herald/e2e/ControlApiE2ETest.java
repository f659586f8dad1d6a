package io.herald.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.herald.auth.TokenIssuer;
import io.herald.testing.SocketIoNodeClient;
import io.herald.testing.TestServer;
import io.herald.testing.WsTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * §12 control API: disconnect by user or session (4401 {@code revoked}), server-side subscribe and unsubscribe
 * answered in each dialect as if the client had asked, the connections listing, its refusals (across instances:
 * {@link ControlApiClusterE2ETest}).
 */
class ControlApiE2ETest {
    static final TokenIssuer ISSUER = new TokenIssuer(TestServer.SECRET);

    static String token(String sub, String sid, List<String> shares, List<String> devices, List<String> channels) {
        return ISSUER.issue(sub, shares, devices, channels, List.of(), sid, Duration.ofHours(1));
    }

    static WsTestClient realtime(TestServer s, String sub, String sid) {
        WsTestClient ws = WsTestClient.connect(s.ws("/api/v1/realtime/ws?token="
                + token(sub, sid, List.of("s1"), List.of(), List.of())));
        assertEquals("connected", ws.nextJson().get("type").asText());
        return ws;
    }

    static void accepted(HttpResponse<String> r) {
        assertEquals(202, r.statusCode(), r.body());
        assertEquals("{\"accepted\":true}", r.body().trim());
    }

    @RegisterExtension
    static final TestServer server = TestServer.perClass();

    @Test
    void disconnectByUserClosesEveryConnectionOfThatUserOnly() {
        try (WsTestClient a1 = realtime(server, "alice", null); WsTestClient a2 = realtime(server, "alice", "x");
             WsTestClient bob = realtime(server, "bob", null)) {
            accepted(server.post("/api/v1/disconnect", server.adminToken(), "{\"user\":\"alice\"}"));
            for (WsTestClient a : List.of(a1, a2)) {
                WsTestClient.Closed c = a.awaitClose();
                assertEquals(4401, c.code());
                assertEquals("revoked", c.reason());
            }
            bob.send("{\"action\":\"ping\"}");
            assertEquals("{\"type\":\"pong\"}", bob.next(), "another user is untouched");
        }
    }

    @Test
    void disconnectBySessionClosesThatSessionOnly() throws Exception {
        try (WsTestClient mine = realtime(server, "sue", "sess-a"); WsTestClient other = realtime(server, "sue", "sess-b")) {
            accepted(server.post("/api/v1/disconnect", server.adminToken(), "{\"session\":\"sess-a\"}"));
            assertEquals(4401, mine.awaitClose().code());
            assertNull(other.poll(Duration.ofMillis(300)));
            assertFalse(other.isClosed());
        }
    }

    @Test
    void serverSideSubscribeAnswersInEachDialectAndDelivers() throws Exception {
        String t = token("carl", null, List.of("s1"), List.of("d1"), List.of("room:1"));
        try (WsTestClient rt = WsTestClient.connect(server.ws("/api/v1/realtime/ws?token=" + t));
             WsTestClient sync = WsTestClient.connect(server.ws("/api/v1/sync/ws/d1?token=" + t));
             WsTestClient ch = WsTestClient.connect(server.ws("/ws?token=" + t))) {
            rt.nextJson();
            ch.nextJson();
            sync.send("{\"type\":\"subscribe\"}");
            assertEquals("{\"type\":\"subscribed\",\"shares\":[\"s1\"]}", sync.next());

            accepted(server.post("/api/v1/subscribe", server.adminToken(), "{\"user\":\"carl\",\"topic\":\"share:s9\"}"));
            assertEquals("{\"type\":\"subscribed\",\"share_id\":\"s9\"}", rt.next(), "as if the client had asked");
            assertEquals("{\"type\":\"subscribed\",\"shares\":[\"s1\",\"s9\"]}", sync.next(), "sync included");
            server.publish("{\"topic\":\"share:s9\",\"event_type\":\"file_created\",\"data\":{\"id\":\"f\"}}");
            assertEquals("{\"type\":\"file_created\",\"share_id\":\"s9\",\"data\":{\"id\":\"f\"}}", rt.next());
            server.publish("{\"topic\":\"share:s9\",\"event_type\":\"change\",\"data\":{}}");
            assertEquals("{\"event_type\":\"change\",\"share_id\":\"s9\",\"data\":{}}", sync.next());
            assertNull(ch.poll(Duration.ofMillis(200)), "channels does not deliver share: topics");

            accepted(server.post("/api/v1/subscribe", server.adminToken(), "{\"user\":\"carl\",\"topic\":\"channel:ops\"}"));
            assertEquals("{\"type\":\"subscribed\",\"data\":{\"channel\":\"ops\"}}", ch.next(),
                    "beyond the token's room:1");
            ch.send("{\"type\":\"refresh\",\"data\":{\"token\":\"" + t + "\"}}");
            assertEquals("refreshed", ch.nextJson().get("type").asText());
            assertNull(ch.poll(Duration.ofMillis(200)), "a refresh does not take back what the API granted");

            accepted(server.post("/api/v1/unsubscribe", server.adminToken(), "{\"user\":\"carl\",\"topic\":\"share:s9\"}"));
            assertEquals("{\"type\":\"unsubscribed\",\"share_id\":\"s9\"}", rt.next());
            Thread.sleep(100);
            server.publish("{\"topic\":\"share:s9\",\"event_type\":\"file_created\",\"data\":{}}");
            assertNull(rt.poll(Duration.ofMillis(300)));
            assertNull(sync.poll(Duration.ofMillis(100)));
            rt.send("{\"action\":\"subscribe\",\"share_id\":\"s9\"}");
            assertEquals("forbidden", rt.nextJson().get("code").asText(), "the token was never widened");
        }
    }

    @Test
    void theListingNamesEachConnection() {
        try (WsTestClient rt = realtime(server, "lia", "sess-l")) {
            HttpResponse<String> r = server.get("/api/v1/connections?user=lia", server.adminToken());
            assertEquals(200, r.statusCode(), r.body());
            JsonNode list = WsTestClient.json(r.body()).get("connections");
            assertEquals(1, list.size(), r.body());
            JsonNode c = list.get(0);
            assertEquals("test", c.get("instance").asText());
            assertEquals("realtime", c.get("endpoint").asText());
            assertEquals("websocket", c.get("transport").asText());
            assertEquals("sess-l", c.get("session").asText());
            assertTrue(c.get("connected_since").asText().matches("\\d{4}-\\d\\d-\\d\\dT.*Z"), c.toString());
            List<String> topics = new ArrayList<>();
            c.get("topics").forEach(t -> topics.add(t.asText()));
            assertTrue(topics.containsAll(List.of("user:lia", "session:sess-l", "broadcast")), topics.toString());
            assertEquals(1, WsTestClient.json(server.get("/api/v1/connections?session=sess-l",
                    server.adminToken()).body()).get("connections").size());
            assertEquals(0, WsTestClient.json(server.get("/api/v1/connections?user=nobody",
                    server.adminToken()).body()).get("connections").size());
        }
    }

    @Test
    void refusals() {
        assertEquals(401, server.post("/api/v1/disconnect", null, "{\"user\":\"a\"}").statusCode());
        assertEquals(403, server.post("/api/v1/disconnect", server.publisherToken(), "{\"user\":\"a\"}").statusCode());
        assertEquals(403, server.get("/api/v1/connections?user=a", server.userToken("a")).statusCode());
        for (String bad : List.of("", "[]", "{}", "nope", "{\"user\":\"a\",\"session\":\"b\"}", "{\"user\":7}",
                "{\"user\":\"" + "u".repeat(201) + "\"}", "{\"user\":\"a b\"}", "{\"user\":\"a\"} x")) {
            HttpResponse<String> r = server.post("/api/v1/disconnect", server.adminToken(), bad);
            assertEquals(400, r.statusCode(), bad);
            assertTrue(r.body().contains("invalid_request"), r.body());
        }
        for (String bad : List.of("{\"user\":\"a\"}", "{\"topic\":\"share:s\"}", "{\"user\":\"a\",\"topic\":\"nope:x\"}",
                "{\"user\":\"a\",\"topic\":\"share:\"}")) {
            assertEquals(400, server.post("/api/v1/subscribe", server.adminToken(), bad).statusCode(), bad);
        }
        assertEquals(400, server.get("/api/v1/connections", server.adminToken()).statusCode());
        assertEquals(400, server.get("/api/v1/connections?user=a&session=b", server.adminToken()).statusCode());
        assertEquals(405, server.get("/api/v1/disconnect", server.adminToken()).statusCode());
        assertEquals(405, server.post("/api/v1/connections?user=a", server.adminToken(), "{}").statusCode());
    }

    @Test
    void aRevokedSocketIoClientIsToldAndDoesNotReconnect() throws Exception {
        ObjectNode o = SocketIoNodeClient.options("http://127.0.0.1:" + server.port());
        o.putArray("transports").add("websocket");
        o.putObject("auth").put("token", token("rex", null, List.of(), List.of(), List.of()));
        try (SocketIoNodeClient rex = SocketIoNodeClient.start(o)) {
            rex.next("connect");
            accepted(server.post("/api/v1/subscribe", server.adminToken(), "{\"user\":\"rex\",\"topic\":\"session:ops-room\"}"));
            Thread.sleep(200); // Socket.IO has no subscribed frame to wait for
            server.publish("{\"topic\":\"session:ops-room\",\"event_type\":\"granted\",\"data\":7}");
            assertEquals(7, rex.nextEvent("granted").get("args").get(0).asInt(), "a room the token never named");
            accepted(server.post("/api/v1/disconnect", server.adminToken(), "{\"user\":\"rex\"}"));
            assertEquals("io server disconnect", rex.next("disconnect").get("reason").asText());
            assertTrue(rex.during(Duration.ofMillis(500)).stream()
                    .noneMatch(j -> j.path("on").asText().startsWith("reconnect")), "it stays away");
        }
    }
}
