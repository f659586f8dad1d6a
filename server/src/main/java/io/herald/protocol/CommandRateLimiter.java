package io.herald.protocol;

/**
 * §8.4 per-connection command limit: a token bucket (rate per second, burst), plus the rule that a client
 * which keeps on sending while limited is closed. Confined to the connection's event loop.
 */
final class CommandRateLimiter {
    /** What to do with one command. */
    enum Verdict { ALLOW, LIMIT, CLOSE }

    private final double perNano;
    private final int burst;
    private final int rejectionsToClose;
    private final long windowNanos;
    private double tokens;
    private long lastNanos;
    private int rejections;
    private long windowStart;

    CommandRateLimiter(ConnectionPolicy policy, long nowNanos) {
        this.perNano = policy.commandsPerSecond() / 1e9;
        this.burst = policy.commandBurst();
        this.rejectionsToClose = policy.rejectionsToClose();
        this.windowNanos = ConnectionPolicy.REJECTION_WINDOW.toNanos();
        this.tokens = burst;
        this.lastNanos = nowNanos;
        this.windowStart = nowNanos;
    }

    Verdict acquire(long nowNanos) {
        tokens = Math.min(burst, tokens + (nowNanos - lastNanos) * perNano);
        lastNanos = nowNanos;
        if (tokens >= 1) {
            tokens -= 1;
            return Verdict.ALLOW;
        }
        if (nowNanos - windowStart > windowNanos) {
            windowStart = nowNanos;
            rejections = 0;
        }
        return ++rejections >= rejectionsToClose ? Verdict.CLOSE : Verdict.LIMIT;
    }
}
