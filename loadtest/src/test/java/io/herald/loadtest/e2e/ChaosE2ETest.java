package io.herald.loadtest.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.herald.Gateway;
import io.herald.config.ConfigKey;
import io.herald.config.HeraldConfig;
import io.herald.loadtest.LoadTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code chaos --mode drop} against a real Herald: every client comes back, resumes from its position (§11) and gets
 * every event it missed, once; no gap goes unannounced.
 */
class ChaosE2ETest {
    private static final String SECRET = "loadtest-chaos-secret-0123456789abcdefghij";

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void everyDroppedClientReconnectsAndResubscribes(@TempDir Path report) throws Exception {
        HeraldConfig config = HeraldConfig.builder().set(ConfigKey.BIND, "127.0.0.1").port(0).jwtSecret(SECRET)
                .set(ConfigKey.DRAIN, "200ms").build();
        int exit;
        try (Gateway herald = Gateway.start(config)) {
            String base = "127.0.0.1:" + herald.port();
            exit = LoadTest.run("chaos", "--mode", "drop", "--target", "ws://" + base, "--clients", "100",
                    "--topics", "5", "--rate", "50", "--before", "1s", "--after", "1s", "--recovery-timeout", "30s",
                    "--backoff-base", "50ms", "--backoff-max", "1s", "--jwt-secret", SECRET,
                    "--publish", "http://" + base + "/api/v1/publish", "--report", report.toString());
        }
        JsonNode s = new ObjectMapper().readTree(report.resolve("summary.json").toFile());
        assertEquals(0, exit, s.toPrettyString());
        assertEquals(100, s.get("lost").asInt());
        assertEquals(100, s.get("recovered").asInt());
        assertEquals(100, s.get("subscribed_at_end").asInt());
        assertTrue(s.get("reconnect_attempts").asLong() >= 100);
        assertTrue(s.get("recovery_s").asDouble() > 0);
        assertEquals(0, s.get("gaps").asLong());
        assertTrue(s.get("deliveries").asLong() > 0);
        // §11 (history on by default): every client resumed with since and got what it missed, counted across the drop
        assertEquals(100, s.get("recovered_from_history").asInt(), s.toPrettyString());
        assertEquals(0, s.get("force_sync_needed").asInt());
        assertEquals(0, s.get("missing_events").asLong());
        assertEquals(0, s.get("duplicates").asLong());
    }
}
