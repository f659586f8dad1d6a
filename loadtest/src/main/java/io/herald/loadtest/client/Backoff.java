package io.herald.loadtest.client;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Reconnect delays with exponential backoff and full jitter: attempt {@code n} waits a uniform random time in
 * {@code [0, min(max, base * 2^n))}, so a fleet that lost its server at once does not return as one wave.
 */
public record Backoff(Duration base, Duration max) {
    public Backoff {
        if (base.isNegative() || base.isZero() || max.compareTo(base) < 0) {
            throw new IllegalArgumentException("backoff needs 0 < base <= max");
        }
    }

    public long delayMillis(int attempt) {
        long ceiling = base.toMillis() << Math.min(attempt, 20);
        ceiling = Math.min(Math.max(ceiling, 1), max.toMillis());
        return ThreadLocalRandom.current().nextLong(ceiling + 1);
    }
}
