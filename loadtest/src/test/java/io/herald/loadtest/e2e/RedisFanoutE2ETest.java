package io.herald.loadtest.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.herald.Gateway;
import io.herald.config.ConfigKey;
import io.herald.config.HeraldConfig;
import io.herald.loadtest.LoadTest;
import io.herald.testing.RedisServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code fanout --publish redis://}: the load tool PUBLISHes envelopes straight into a real Redis (§3 Redis
 * ingress) and a Herald on the Redis broker delivers every one of them, in order, to its clients.
 */
class RedisFanoutE2ETest {
    private static final String SECRET = "loadtest-smoke-secret-0123456789abcdefghij";

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void eventsPublishedIntoRedisReachEveryClient(@TempDir Path report) throws Exception {
        int exit;
        try (RedisServer redis = RedisServer.start()) {
            HeraldConfig config = HeraldConfig.builder().set(ConfigKey.BIND, "127.0.0.1").port(0).jwtSecret(SECRET)
                    .set(ConfigKey.DRAIN, "200ms").set(ConfigKey.BROKER, redis.url())
                    .set(ConfigKey.REDIS_PREFIX, "lt:").build();
            try (Gateway herald = Gateway.start(config)) {
                exit = LoadTest.run("fanout",
                        "--target", "ws://127.0.0.1:" + herald.port(),
                        "--dialect", "realtime",
                        "--clients", "200",
                        "--topics", "10",
                        "--rate", "50",
                        "--duration", "4s",
                        "--payload", "128",
                        "--jwt-secret", SECRET,
                        "--publish", redis.url(),
                        "--redis-prefix", "lt:",
                        "--report", report.toString());
            }
        }
        JsonNode s = new ObjectMapper().readTree(report.resolve("summary.json").toFile());
        assertEquals(0, exit, "exit code; summary: " + s.toPrettyString());
        assertEquals(200, s.get("clients_connected").asInt());
        assertEquals(200, s.get("events_published").asLong());
        assertTrue(s.get("deliveries").asLong() > 0);
        assertEquals(s.get("expected_deliveries").asLong(), s.get("deliveries").asLong());
        assertEquals(0, s.get("gaps").asLong());
        assertEquals(0, s.get("errors").asLong());
        assertEquals(0, s.get("out_of_order").asLong());
    }
}
