package io.herald.broker.redis;

import io.herald.config.ConfigException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** §1 {@code HERALD_BROKER} URLs. */
class RedisEndpointsTest {

    @Test
    void standaloneWithPasswordAndDatabase() {
        RedisEndpoints e = RedisEndpoints.parse("redis://:s3cret@redis.internal:6380/2");
        assertFalse(e.cluster());
        assertEquals(1, e.uris().size());
        assertEquals("redis.internal", e.uris().get(0).getHost());
        assertEquals(6380, e.uris().get(0).getPort());
        assertEquals(2, e.uris().get(0).getDatabase());
        assertEquals("redis://redis.internal:6380", e.describe(), "no credentials in what is logged");
    }

    @Test
    void clusterSeedsShareTheCredentials() {
        RedisEndpoints e = RedisEndpoints.parse("redis-cluster://:pw@10.0.0.1:7000, 10.0.0.2:7001,10.0.0.3:7002");
        assertTrue(e.cluster());
        assertEquals(3, e.uris().size());
        assertEquals(7001, e.uris().get(1).getPort());
        assertEquals("10.0.0.2", e.uris().get(1).getHost());
        e.uris().forEach(u -> assertTrue(u.getCredentialsProvider() != null));
        assertEquals("redis-cluster://10.0.0.1:7000,10.0.0.2:7001,10.0.0.3:7002", e.describe());
    }

    @Test
    void aBadUrlStopsStartUpWithoutEchoingIt() {
        for (String bad : new String[] {"redis-cluster://", "memcached://x:1", "redis-cluster://:pw@,"}) {
            ConfigException ex = assertThrows(ConfigException.class, () -> RedisEndpoints.parse(bad));
            assertTrue(ex.getMessage().startsWith("HERALD_BROKER: "), ex.getMessage());
            assertFalse(ex.getMessage().contains("pw@"), "a password never reaches the message");
        }
    }
}
