package io.herald.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.herald.testing.TwoInstancesOnRedis;
import io.herald.testing.WsTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The admin page's data with two instances on one Redis (issue 15): a tail on one instance shows what the other
 * publishes, and cluster stats carry both instances' transports and latency buckets.
 */
class AdminClusterE2ETest {
    @RegisterExtension
    static final TwoInstancesOnRedis on = new TwoInstancesOnRedis();

    @Test
    void aTailOnOneInstanceShowsEventsPublishedOnTheOther() throws Exception {
        try (AdminApiE2ETest.Tail t = AdminApiE2ETest.tail(on.a(), "share:across", on.a().adminToken())) {
            on.b().publish("{\"topic\":\"share:across\",\"event_type\":\"from_b\",\"data\":{\"n\":7}}");
            JsonNode e = t.next();
            assertEquals("event", e.get("type").asText(), e.toString());
            assertEquals("from_b", e.at("/event/event_type").asText());
            assertEquals(7, e.at("/event/data/n").asInt());
        }
    }

    @Test
    void clusterStatsSumTransportsAndLatencyOverInstances() throws Exception {
        String token = on.b().token("ivy", List.of("cs"), List.of("dv"), List.of());
        try (WsTestClient c = WsTestClient.connect(on.b().ws("/api/v1/sync/ws/dv?token=" + token))) {
            c.send("{\"type\":\"subscribe\"}");
            c.next();
            on.a().publish("{\"topic\":\"share:cs\",\"event_type\":\"change\",\"data\":{}}");
            c.next();
            JsonNode s = on.a().statsWhen("?scope=cluster", n -> n.get("instances").size() == 2
                    && n.at("/transports/websocket").asInt() >= 1 && n.at("/delivery_latency/count").asLong() >= 1);
            assertEquals(2, s.get("instances").size(), s.toString());
            assertTrue(s.at("/transports/websocket").asInt() >= 1, "b's connection, seen from a: " + s);
            long perInstance = 0;
            for (JsonNode i : s.get("instances")) {
                perInstance += i.at("/delivery_latency/count").asLong();
            }
            assertEquals(perInstance, s.at("/delivery_latency/count").asLong(), "the sum of the instances'");
            assertTrue(perInstance >= 1, s.toString());
        }
    }
}
