package io.herald.e2e;

import io.herald.config.ConfigKey;
import io.herald.testing.NodeBackend;
import io.herald.testing.RedisServer;
import io.herald.testing.SocketIoNodeClient;
import io.herald.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * §12 with the classic {@code createAdapter} (and {@code @socket.io/redis-emitter}) on a Redis server: Herald's
 * pattern subscription hears the app's broadcasts, and {@link SocketIoAppContract} holds what the app's clients see.
 */
class SocketIoAdapterE2ETest extends SocketIoAppContract {
    RedisServer redis;

    @BeforeAll
    void start() throws Exception {
        redis = RedisServer.start();
        app = NodeBackend.withSocketIoApp(redis.port(), "socket.io");
        herald = TestServer.start(b -> b.set(ConfigKey.BROKER, redis.url())
                .set(ConfigKey.AUTH_PROXY, app.authUrl())
                .set(ConfigKey.SOCKETIO_ADAPTER, "socket.io"));
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (numpat() < 1 && System.nanoTime() < deadline) {
            Thread.sleep(50); // Herald's pattern subscription is in place
        }
        assertTrue(numpat() >= 1, "Herald listens on the adapter's channels");
    }

    long numpat() {
        AtomicLong n = new AtomicLong();
        redis.with(c -> n.set(c.pubsubNumpat()));
        return n.get();
    }

    @AfterAll
    void stop() {
        herald.close();
        app.close();
        redis.close();
    }

    @Test
    void theEmitterReachesItsRoomToo() throws Exception {
        try (SocketIoNodeClient u1 = immich("ok:u1:sess-1", "websocket");
             SocketIoNodeClient u2 = immich("ok:u2:sess-2", "websocket")) {
            app.emit("{\"op\":\"emitter\",\"then\":\"to\",\"room\":\"u2\",\"event\":\"from_emitter\",\"args\":[{\"n\":null}]}");
            assertEquals("[{\"n\":null}]", u2.nextEvent("from_emitter").get("args").toString(), "@socket.io/redis-emitter");
            assertEquals(0, received(u1, "from_emitter").size());
        }
    }
}
