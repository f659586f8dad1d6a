package io.herald.e2e;

import io.herald.testing.TestServer;
import io.herald.testing.TwoInstancesOnRedis;
import io.herald.testing.WsTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;

import static io.herald.e2e.ControlApiE2ETest.accepted;
import static io.herald.e2e.ControlApiE2ETest.realtime;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * §12 control API with Redis: a request made to either instance acts on every instance's connections (the control
 * bus, not topic traffic), and the listing gathers both.
 */
class ControlApiClusterE2ETest {
    @RegisterExtension
    static final TwoInstancesOnRedis on = new TwoInstancesOnRedis();

    @Test
    void everyInstanceActsOnItsOwnConnections() throws Exception {
        TestServer a = on.a();
        TestServer b = on.b();
        Thread.sleep(1500); // each instance has advertised itself on the control channel
        try (WsTestClient onA = realtime(a, "dan", "sess-d"); WsTestClient onB = realtime(b, "dan", "sess-e")) {
            HttpResponse<String> r = a.get("/api/v1/connections?user=dan", a.adminToken());
            assertEquals(200, r.statusCode());
            List<String> instances = new ArrayList<>();
            WsTestClient.json(r.body()).get("connections").forEach(c -> instances.add(c.get("instance").asText()));
            instances.sort(null);
            assertEquals(List.of("a", "b"), instances, r.body());

            accepted(b.post("/api/v1/subscribe", b.adminToken(), "{\"user\":\"dan\",\"topic\":\"share:s7\"}"));
            assertEquals("{\"type\":\"subscribed\",\"share_id\":\"s7\"}", onA.next(), "subscribed on the other instance");
            assertEquals("{\"type\":\"subscribed\",\"share_id\":\"s7\"}", onB.next());
            b.publish("{\"topic\":\"share:s7\",\"event_type\":\"file_deleted\",\"data\":{\"file_id\":\"f\"}}");
            assertEquals("file_deleted", onA.nextJson().get("type").asText());

            accepted(a.post("/api/v1/disconnect", a.adminToken(), "{\"session\":\"sess-e\"}"));
            assertEquals(4401, onB.awaitClose().code(), "revoked on the instance that holds it");
            assertFalse(onA.isClosed());
            accepted(b.post("/api/v1/disconnect", b.adminToken(), "{\"user\":\"dan\"}"));
            assertEquals(4401, onA.awaitClose().code());
        }
    }
}
