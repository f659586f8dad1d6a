package io.herald.protocol;

/**
 * §8.4 per-connection command limit: a token bucket (rate per second, burst), plus the rule that a client
 * which keeps on sending while limited is closed. Confined to the connection's event loop.
 */
public final class CommandRateLimiter {
    /** What to do with one command. */
    public enum Verdict { ALLOW, LIMIT, CLOSE }

    private static final long WINDOW_NANOS = ConnectionPolicy.REJECTION_WINDOW.toNanos();

    /** Shared by every connection: its limits are read from here rather than copied into each limiter. */
    private final ConnectionPolicy policy;
    private double tokens;
    private long lastNanos;
    private int rejections;
    private long windowStart;

    CommandRateLimiter(ConnectionPolicy policy, long nowNanos) {
        this.policy = policy;
        this.tokens = policy.commandBurst();
        this.lastNanos = nowNanos;
        this.windowStart = nowNanos;
    }

    Verdict acquire(long nowNanos) {
        tokens = Math.min(policy.commandBurst(), tokens + (nowNanos - lastNanos) * (policy.commandsPerSecond() / 1e9));
        lastNanos = nowNanos;
        if (tokens >= 1) {
            tokens -= 1;
            return Verdict.ALLOW;
        }
        if (nowNanos - windowStart > WINDOW_NANOS) {
            windowStart = nowNanos;
            rejections = 0;
        }
        return ++rejections >= policy.rejectionsToClose() ? Verdict.CLOSE : Verdict.LIMIT;
    }
}
