package io.herald.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.herald.testing.TestServer;
import io.herald.testing.WsTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** §9 stats and health endpoints. */
class StatsE2ETest {
    @RegisterExtension
    static final TestServer server = TestServer.perClass();

    static JsonNode stats() throws InterruptedException {
        return server.statsWhen("", n -> true);
    }

    /** Stats move as connections open and close on other threads; poll until they settle. */
    static JsonNode statsWhen(Predicate<JsonNode> settled) throws InterruptedException {
        return server.statsWhen("", settled);
    }

    @Test
    void onlyAdminsMayRead() {
        assertEquals(401, server.get("/api/v1/realtime/stats", null).statusCode());
        assertEquals(403, server.get("/api/v1/realtime/stats", server.publisherToken()).statusCode());
    }

    @Test
    void countsConnectionsUsersSubscriptionsAndEvents() throws Exception {
        JsonNode before = stats();
        assertEquals("test", before.get("instance").asText());
        assertEquals("local", before.at("/broker/type").asText());
        assertTrue(before.at("/broker/connected").asBoolean());
        long published = before.at("/events/published").asLong();
        long delivered = before.at("/events/delivered").asLong();

        String syncToken = server.token("alice", List.of("s1"), List.of("d1"), List.of());
        try (WsTestClient a = RealtimeE2ETestSupport.realtime(server, "alice", "s1");
             WsTestClient b = RealtimeE2ETestSupport.realtime(server, "bob", "s1");
             WsTestClient sync = WsTestClient.connect(server.ws("/api/v1/sync/ws/d1?token=" + syncToken))) {
            JsonNode s = statsWhen(n -> n.at("/connections/total").asInt() == 3);
            assertEquals(3, s.at("/connections/total").asInt());
            assertEquals(2, s.at("/connections/realtime").asInt());
            assertEquals(1, s.at("/connections/sync").asInt());
            assertEquals(0, s.at("/connections/channels").asInt());
            assertEquals(0, s.at("/connections/socketio").asInt());
            assertEquals(2, s.get("users").asInt());
            // each realtime connection: share:s1, user:{sub}, broadcast
            assertEquals(6, s.get("subscriptions").asInt());
            assertEquals(4, s.get("topics").asInt(), "share:s1, user:alice, user:bob, broadcast");

            server.publish("{\"topic\":\"share:s1\",\"event_type\":\"file_created\"}");
            a.next();
            b.next();
            JsonNode after = statsWhen(n -> n.at("/events/delivered").asLong() >= delivered + 2);
            assertEquals(published + 1, after.at("/events/published").asLong());
            assertEquals(delivered + 2, after.at("/events/delivered").asLong());
            assertEquals(0, after.at("/events/dropped").asLong());
            assertEquals(0, after.get("slow_consumer_closes").asLong());
            assertTrue(after.get("uptime_s").isIntegralNumber(), "uptime_s is a whole number of seconds");
        }
        JsonNode closed = statsWhen(n -> n.at("/connections/total").asInt() == 0);
        assertEquals(0, closed.at("/connections/total").asInt());
        assertEquals(0, closed.get("users").asInt());
        assertEquals(0, closed.get("subscriptions").asInt());
        assertEquals(0, closed.get("topics").asInt());
    }

    @Test
    void healthAndReadiness() {
        HttpResponse<String> live = server.get("/healthz", null);
        assertEquals(200, live.statusCode());
        assertEquals(200, server.get("/readyz", null).statusCode());
    }
}
