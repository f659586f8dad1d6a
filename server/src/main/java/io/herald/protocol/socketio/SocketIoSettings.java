package io.herald.protocol.socketio;

import java.time.Duration;

/**
 * §7 timers and limits of the Socket.IO endpoint. {@link #production()} is what clients meet;
 * {@link #conformanceProfile()} is the test-only profile ({@code HERALD_SOCKETIO_CONFORMANCE=true}, loopback only) that
 * the official protocol test suites expect: short timers, no auth, echo events and the {@code /custom} namespace.
 */
public record SocketIoSettings(Duration pingInterval, Duration pingTimeout, Duration connectTimeout, int maxPayload,
                               boolean conformance) {

    public static SocketIoSettings production() {
        // §7: a session that has not completed its CONNECT within 10 s of OPEN is closed
        return new SocketIoSettings(Duration.ofMillis(25_000), Duration.ofMillis(20_000), Duration.ofMillis(10_000),
                1_000_000, false);
    }

    public static SocketIoSettings conformanceProfile() {
        return new SocketIoSettings(Duration.ofMillis(300), Duration.ofMillis(200), Duration.ofMillis(1000),
                1_000_000, true);
    }

    /** {@code /} always; {@code /custom} in the conformance profile. */
    boolean servesNamespace(String ns) {
        return "/".equals(ns) || (conformance && "/custom".equals(ns));
    }

    /** How often the per-loop sweep must run for these timers to be kept to about a sixth of the shortest. */
    public Duration sweepInterval() {
        long shortest = Math.min(pingTimeout.toMillis(), pingInterval.toMillis());
        return Duration.ofMillis(Math.max(10, Math.min(1000, shortest / 6)));
    }
}
