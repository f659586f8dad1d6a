package io.herald.api;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** §9 {@code ?scope=cluster}: the sum over instances. */
class ClusterStatsTest {
    private static byte[] report(String id, long uptime, int sync, int realtime, long delivered, boolean connected) {
        return ("{\"instance\":\"" + id + "\",\"uptime_s\":" + uptime + ",\"connections\":{\"total\":" + (sync + realtime)
                + ",\"sync\":" + sync + ",\"realtime\":" + realtime + ",\"channels\":0,\"socketio\":0},\"users\":2,"
                + "\"subscriptions\":4,\"topics\":3,\"events\":{\"published\":10,\"delivered\":" + delivered
                + ",\"dropped\":0},\"slow_consumer_closes\":1,\"broker\":{\"type\":\"redis\",\"connected\":" + connected + "}}")
                .getBytes(StandardCharsets.UTF_8);
    }

    private static JsonNode write(String self, byte[] own, List<byte[]> stored) throws Exception {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = new JsonFactory().createGenerator(out)) {
            ClusterStats.write(g, self, own, stored);
        }
        return new ObjectMapper().readTree(out.toString());
    }

    @Test
    void sumsEveryInstanceAndListsEachOnce() throws Exception {
        byte[] a = report("a", 100, 1, 2, 25, true);
        byte[] staleA = report("a", 98, 0, 0, 0, true);
        byte[] b = report("b", 300, 3, 4, 5, false);
        JsonNode s = write("a", a, List.of(staleA, b, "garbage".getBytes(StandardCharsets.UTF_8)));
        assertEquals("a", s.get("instance").asText());
        assertEquals(300, s.get("uptime_s").asLong(), "the longest uptime, not a sum");
        assertEquals(10, s.get("connections").get("total").asInt());
        assertEquals(4, s.get("connections").get("sync").asInt());
        assertEquals(6, s.get("connections").get("realtime").asInt());
        assertEquals(30, s.get("events").get("delivered").asLong());
        assertEquals(2, s.get("slow_consumer_closes").asLong());
        assertFalse(s.get("broker").get("connected").asBoolean(), "connected only when every instance is");
        assertEquals("redis", s.get("broker").get("type").asText());
        assertEquals(2, s.get("instances").size(), "this instance's stored copy is replaced by its live figures; garbage skipped");
        assertEquals(3, s.get("instances").get(0).get("connections").get("total").asInt());
    }

    @Test
    void aLoneInstanceAnswersItselfInTheSameShape() throws Exception {
        JsonNode s = write("solo", report("solo", 5, 1, 0, 0, true), List.of());
        assertEquals(1, s.get("connections").get("total").asInt());
        assertEquals(1, s.get("instances").size());
    }
}
