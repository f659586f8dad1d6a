package io.herald.protocol;

import io.herald.config.HeraldConfig;

import java.time.Duration;

/**
 * The §8 rules every connection lives by, whatever its dialect: one immutable value shared by all.
 *
 * @param sendBuffer        §8.3: event frames written but not yet taken by the socket before a connection is a slow consumer
 * @param slowConsumerGrace §8.3: how long a slow consumer's {@code force_sync} frames may take before it is dropped
 * @param idleTimeout       §8.1: silence after which a connection is closed 1001
 * @param commandsPerSecond §8.4: sustained command rate
 * @param commandBurst      §8.4: commands allowed at once
 * @param rejectionsToClose §8.4: rate-limited commands within {@link #REJECTION_WINDOW} after which the client is closed 1008
 * @param closeHandshake    RFC 6455 §7.1.1: how long to wait for the client's close frame after ours
 */
public record ConnectionPolicy(int sendBuffer, Duration slowConsumerGrace, Duration idleTimeout,
                               int commandsPerSecond, int commandBurst, int rejectionsToClose,
                               Duration closeHandshake) {

    public static final Duration REJECTION_WINDOW = Duration.ofSeconds(10);

    public static ConnectionPolicy from(HeraldConfig config) {
        return new ConnectionPolicy(config.sendBuffer(), Duration.ofSeconds(10), config.idleTimeout(),
                50, 100, 100, Duration.ofSeconds(2));
    }
}
