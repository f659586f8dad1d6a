package io.herald.loadtest.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.herald.Gateway;
import io.herald.config.ConfigKey;
import io.herald.config.HeraldConfig;
import io.herald.loadtest.LoadTest;
import io.herald.loadtest.Topics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CI smoke run: {@code fanout} with 500 realtime clients against a real Herald in this JVM, 20 events/s for
 * 10 s. Every event must reach every subscriber of its topic, in order, with a sane latency report.
 */
class FanoutE2ETest {
    private static final String SECRET = "loadtest-smoke-secret-0123456789abcdefghij";
    private static final int CLIENTS = 500;
    private static final int TOPICS = 10;
    private static final int RATE = 20;
    private static final int SECONDS = 10;

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void fiveHundredRealtimeClientsGetEveryEventInOrder(@TempDir Path report) throws Exception {
        HeraldConfig config = HeraldConfig.builder().set(ConfigKey.BIND, "127.0.0.1").port(0).jwtSecret(SECRET)
                .set(ConfigKey.DRAIN, "200ms").build();
        int exit;
        try (Gateway herald = Gateway.start(config)) {
            String base = "127.0.0.1:" + herald.port();
            exit = LoadTest.run("fanout",
                    "--target", "ws://" + base,
                    "--dialect", "realtime",
                    "--clients", Integer.toString(CLIENTS),
                    "--topics", Integer.toString(TOPICS),
                    "--rate", Integer.toString(RATE),
                    "--duration", SECONDS + "s",
                    "--payload", "256",
                    "--ramp-rate", "2000",
                    "--jwt-secret", SECRET,
                    "--publish", "http://" + base + "/api/v1/publish",
                    "--report", report.toString());
        }

        JsonNode s = new ObjectMapper().readTree(report.resolve("summary.json").toFile());
        assertEquals(0, exit, "exit code; summary: " + s.toPrettyString());
        assertEquals(CLIENTS, s.get("clients_connected").asInt());

        // Event n goes to topic n % T: each topic gets its share of RATE * SECONDS events, times its subscribers.
        Topics topics = new Topics(TOPICS);
        long events = (long) RATE * SECONDS;
        long expected = 0;
        for (int t = 0; t < TOPICS; t++) {
            long onTopic = events / TOPICS + (t < events % TOPICS ? 1 : 0);
            expected += onTopic * topics.subscribers(t, CLIENTS);
        }
        assertEquals(events, s.get("events_published").asLong());
        assertEquals(expected, s.get("deliveries").asLong());
        assertEquals(expected, s.get("expected_deliveries").asLong());
        assertEquals(0, s.get("gaps").asLong());
        assertEquals(0, s.get("errors").asLong());
        assertEquals(0, s.get("force_sync").asLong());
        assertEquals(0, s.get("duplicates").asLong());
        assertEquals(0, s.get("out_of_order").asLong());
        assertTrue(s.get("deliveries_per_s").asLong() > 0);

        JsonNode l = s.get("latency_ms");
        double p50 = l.get("p50").asDouble();
        double p90 = l.get("p90").asDouble();
        double p99 = l.get("p99").asDouble();
        double p999 = l.get("p999").asDouble();
        double max = l.get("max").asDouble();
        assertTrue(p50 > 0 && p50 <= p90 && p90 <= p99 && p99 <= p999 && p999 <= max, "latency " + l);
        assertTrue(max < 10_000, "no delivery takes 10 s on loopback: " + l);

        String hgrm = Files.readString(report.resolve("latency.hgrm"));
        assertTrue(hgrm.contains("Percentile") && hgrm.contains("#[Max"), hgrm);
        String html = Files.readString(report.resolve("latency.html"));
        assertTrue(html.contains("<svg") && html.contains("polyline") && !html.contains("<script"), "self-contained plot");
    }
}
