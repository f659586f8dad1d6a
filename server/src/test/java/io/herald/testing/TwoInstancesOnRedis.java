package io.herald.testing;

import io.herald.config.ConfigKey;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real {@code redis-server} on a free port and two Herald instances, {@code a} and {@code b}, on it
 * (§1 {@code HERALD_BROKER=redis://}), for one test class:
 * {@code @RegisterExtension static final TwoInstancesOnRedis on = new TwoInstancesOnRedis();}.
 */
public final class TwoInstancesOnRedis implements BeforeAllCallback, AfterAllCallback {
    private RedisServer redis;
    private TestServer a;
    private TestServer b;

    @Override
    public void beforeAll(ExtensionContext context) {
        redis = RedisServer.start();
        a = TestServer.start(c -> c.set(ConfigKey.BROKER, redis.url()).set(ConfigKey.INSTANCE_ID, "a"));
        b = TestServer.start(c -> c.set(ConfigKey.BROKER, redis.url()).set(ConfigKey.INSTANCE_ID, "b"));
    }

    @Override
    public void afterAll(ExtensionContext context) {
        for (AutoCloseable c : new AutoCloseable[] {a, b, redis}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception ignored) {
                // best effort: the next class starts its own
            }
        }
    }

    public RedisServer redis() {
        return redis;
    }

    public TestServer a() {
        return a;
    }

    public TestServer b() {
        return b;
    }
}
