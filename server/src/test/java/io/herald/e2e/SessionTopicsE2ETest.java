package io.herald.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.herald.auth.TokenIssuer;
import io.herald.config.ConfigKey;
import io.herald.testing.SocketIoNodeClient;
import io.herald.testing.TestServer;
import io.herald.testing.WsTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * §12 sessions from a JWT {@code sid} claim: a connection of that login session also receives {@code session:{id}}
 * events, framed as the user's on realtime and Socket.IO, and as {@code {"type","data","timestamp"}} (no channel) on
 * the channels endpoint; another session of the same user does not. With history on, a Socket.IO session recovers its
 * session's events too (§11).
 */
class SessionTopicsE2ETest {
    @RegisterExtension
    static final TestServer server = TestServer.perClass(b -> b.set(ConfigKey.HISTORY_SIZE, "20"));

    static final TokenIssuer ISSUER = new TokenIssuer(TestServer.SECRET);

    static String token(String sub, String sid, List<String> channels) {
        return ISSUER.issue(sub, List.of(), List.of(), channels, List.of(), sid, Duration.ofHours(1));
    }

    static WsTestClient realtime(String sub, String sid) {
        WsTestClient ws = WsTestClient.connect(server.ws("/api/v1/realtime/ws?token=" + token(sub, sid, List.of())));
        assertEquals("connected", ws.nextJson().get("type").asText());
        return ws;
    }

    @Test
    void aRealtimeConnectionGetsItsOwnSessionsEventsOnly() throws Exception {
        try (WsTestClient mine = realtime("sam", "s-1"); WsTestClient other = realtime("sam", "s-2")) {
            Thread.sleep(200); // the session subscriptions are confirmed after connected
            server.publish("{\"topic\":\"session:s-1\",\"event_type\":\"on_session_note\",\"data\":{\"n\":1}}");
            assertEquals("{\"type\":\"on_session_note\",\"data\":{\"n\":1}}", mine.next(), "framed as a user event");
            assertNull(other.poll(Duration.ofMillis(300)), "another session of the same user gets nothing");
        }
    }

    @Test
    void aChannelsConnectionGetsItsSessionsEventsWithoutAChannel() throws Exception {
        try (WsTestClient ws = WsTestClient.connect(server.ws("/ws?token=" + token("cal", "s-9", List.of("room:*"))))) {
            assertEquals("connected", ws.nextJson().get("type").asText());
            Thread.sleep(200);
            server.publish("{\"topic\":\"session:s-9\",\"event_type\":\"logout_soon\",\"data\":{\"in\":30}}");
            JsonNode e = ws.nextJson();
            assertEquals("logout_soon", e.get("type").asText());
            assertEquals("{\"in\":30}", e.get("data").toString());
            assertTrue(e.get("timestamp").isTextual());
            assertNull(e.get("channel"), e.toString());
            assertNull(e.get("offset"), "no position on the JSON endpoints but for share: and channel:");
        }
    }

    @Test
    void aSocketIoClientGetsItsSessionsEventsAndRecoversThem() throws Exception {
        ObjectNode o = SocketIoNodeClient.options("http://127.0.0.1:" + server.port());
        o.putArray("transports").add("websocket");
        o.put("reconnectionDelay", 1500);
        o.putObject("auth").put("token", token("ivy", "s-5", List.of())).put("recover", true);
        try (SocketIoNodeClient ivy = SocketIoNodeClient.start(o)) {
            ivy.next("connect");
            server.publish("{\"topic\":\"session:s-5\",\"event_type\":\"n\",\"data\":1}");
            JsonNode first = ivy.nextEvent("n");
            assertEquals(1, first.get("args").get(0).asInt());
            assertTrue(first.get("args").get(1).asText().matches("[A-Za-z0-9_-]{8}(~[A-Za-z0-9_-]+\\.\\d+){3}"),
                    "user, session, broadcast: " + first);
            ivy.closeEngine();
            ivy.next("disconnect");
            server.publish("{\"topic\":\"session:s-5\",\"event_type\":\"n\",\"data\":2}");
            server.publish("{\"topic\":\"session:s-6\",\"event_type\":\"n\",\"data\":99}");
            assertTrue(ivy.next("connect").get("recovered").asBoolean());
            assertEquals(2, ivy.nextEvent("n").get("args").get(0).asInt(), "the session's missed event, recovered");
            for (JsonNode line : ivy.during(Duration.ofMillis(300))) {
                assertTrue(!"event".equals(line.get("on").asText()), "nothing of another session: " + line);
            }
        }
    }
}
