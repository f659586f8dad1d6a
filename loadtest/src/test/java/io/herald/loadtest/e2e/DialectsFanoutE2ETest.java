package io.herald.loadtest.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.herald.Gateway;
import io.herald.config.ConfigKey;
import io.herald.config.HeraldConfig;
import io.herald.loadtest.LoadTest;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code fanout --dialect channels|socketio} against Herald: channel clients on {@code /ws} (§6) and Socket.IO
 * clients as users (§7) get every event of their topic, in order. The realtime smoke run is {@link FanoutE2ETest}.
 */
class DialectsFanoutE2ETest {
    private static final String SECRET = "loadtest-smoke-secret-0123456789abcdefghij";

    @ParameterizedTest
    @ValueSource(strings = {"channels", "socketio"})
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void everyClientGetsEveryEventOfItsTopic(String dialect, @TempDir Path report) throws Exception {
        HeraldConfig config = HeraldConfig.builder().set(ConfigKey.BIND, "127.0.0.1").port(0).jwtSecret(SECRET)
                .set(ConfigKey.DRAIN, "200ms").build();
        int exit;
        try (Gateway herald = Gateway.start(config)) {
            String base = "127.0.0.1:" + herald.port();
            exit = LoadTest.run("fanout",
                    "--target", "ws://" + base,
                    "--dialect", dialect,
                    "--clients", "300",
                    "--topics", "6",
                    "--rate", "30",
                    "--duration", "4s",
                    "--payload", "128",
                    "--jwt-secret", SECRET,
                    "--publish", "http://" + base + "/api/v1/publish",
                    "--report", report.toString());
        }
        JsonNode s = new ObjectMapper().readTree(report.resolve("summary.json").toFile());
        assertEquals(0, exit, "exit code; summary: " + s.toPrettyString());
        assertEquals(300, s.get("clients_connected").asInt());
        assertEquals(120, s.get("events_published").asLong());
        assertEquals(120 * 300 / 6, s.get("deliveries").asLong(), "each event reaches the 50 clients of its topic");
        assertEquals(s.get("expected_deliveries").asLong(), s.get("deliveries").asLong());
        assertEquals(0, s.get("gaps").asLong());
        assertEquals(0, s.get("errors").asLong());
        assertEquals(0, s.get("out_of_order").asLong());
        assertTrue(s.get("latency_ms").get("p50").asDouble() > 0);
    }
}
