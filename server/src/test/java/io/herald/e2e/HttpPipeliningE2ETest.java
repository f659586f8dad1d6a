package io.herald.e2e;

import io.herald.config.ConfigKey;
import io.herald.testing.RawHttp;
import io.herald.testing.RedisServer;
import io.herald.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RFC 9112 §9.3 against a real Herald on Redis: a publish answers only once Redis took the event, later than a health
 * check would; pipelined behind it on one connection, the health check's answer still comes second.
 */
class HttpPipeliningE2ETest {
    static RedisServer redis;
    static TestServer herald;

    @BeforeAll
    static void start() {
        redis = RedisServer.start();
        herald = TestServer.start(b -> b.set(ConfigKey.BROKER, redis.url()));
    }

    @AfterAll
    static void stop() throws Exception {
        if (herald != null) {
            herald.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void answersComeInTheOrderOfTheRequests() throws Exception {
        String body = "{\"topic\":\"share:pipe\",\"event_type\":\"file_created\"}";
        String publish = "POST /api/v1/publish HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + herald.publisherToken()
                + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
        String health = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
        for (int round = 0; round < 20; round++) {
            try (RawHttp.Conversation c = RawHttp.Conversation.open(herald.port())) {
                c.write(publish + health + publish + health);
                String wire = c.until(t -> RawHttp.occurrences(t, "HTTP/1.1 ") == 4, Duration.ofSeconds(10));
                int a = wire.indexOf("HTTP/1.1 202");
                int b = wire.indexOf("HTTP/1.1 200", a);
                int d = wire.indexOf("HTTP/1.1 202", b);
                int e = wire.indexOf("HTTP/1.1 200", d);
                assertTrue(a >= 0 && b > a && d > b && e > d, "202, 200, 202, 200 in that order:\n" + wire);
            }
        }
    }
}
