package io.herald.client;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

/**
 * When to try again, and whether to. All reconnect decisions live here.
 *
 * <p><b>Backoff.</b> The delay before attempt {@code n} (0-based, counting attempts since the last good
 * connection) is {@code min(base * 2^n, max)} plus a uniform random extra of up to {@code jitter} times that:
 * 1, 2, 4, 8, 16, 30, 30 ... seconds with the defaults.
 *
 * <p><b>Good connection</b> (resets {@code n} to 0): one that reached CONNECTED, i.e. the server answered
 * something only an admitted connection gets — realtime and channels {@code connected} (§5, §6), or the
 * {@code pong} to the probe ping (or a {@code subscribed}) on sync (§4), which has no greeting. A completed
 * upgrade alone is not enough: an invalid token is refused with 4401 only after it. A good connection that
 * the server closes at once (e.g. 4408, §8.3) is thus retried after the base delay every time; the server's
 * close spreading (§8.6) and the jitter keep such retries from arriving together.
 *
 * <p><b>Credentials (4401/4403).</b> A close with 4401 or 4403 on a connection that was never good means
 * the token or device is refused: the client stops (DISCONNECTED) and reports it, since retrying the same
 * credentials would loop forever. On a connection that had been good it is most likely the token's expiry
 * (§8.2): the client tries once more with a token fetched anew from its {@link TokenSource}; if that
 * attempt is refused too, it stops.
 */
final class ReconnectPolicy {
    private final long baseNanos;
    private final long maxNanos;
    private final double jitter;
    private final DoubleSupplier random;

    ReconnectPolicy(Duration base, Duration max, double jitter, DoubleSupplier random) {
        this.baseNanos = base.toNanos();
        this.maxNanos = max.toNanos();
        this.jitter = jitter;
        this.random = random;
    }

    static ReconnectPolicy from(ClientOptions o) {
        return new ReconnectPolicy(o.reconnectBaseDelay(), o.reconnectMaxDelay(), o.reconnectJitter(),
                () -> ThreadLocalRandom.current().nextDouble());
    }

    /** The delay before attempt {@code n} (0-based) after the last good connection. */
    Duration delay(int n) {
        long capped = n >= 62 || baseNanos > (maxNanos >> Math.min(n, 62)) ? maxNanos : Math.min(baseNanos << n, maxNanos);
        long extra = jitter == 0 ? 0 : (long) (capped * jitter * random.getAsDouble());
        return Duration.ofNanos(capped + extra);
    }

    /** Whether to reconnect after {@code d} ended a connection that was good ({@code wasGood}) or not. */
    static boolean shouldReconnect(Disconnect d, boolean wasGood) {
        if (d.kind() == Disconnect.Kind.CLOSED_BY_CLIENT) {
            return false;
        }
        return !d.isAuthRefusal() || wasGood;
    }
}
