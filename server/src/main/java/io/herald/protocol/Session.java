package io.herald.protocol;

import io.netty.util.concurrent.EventExecutor;

import java.util.Set;

/**
 * One client session as the per-loop registry ({@link Connections}) sees it, whatever carries it: a WebSocket
 * {@link Connection} or an Engine.IO long-polling session (§7 "a session is a connection"). The registry
 * applies §8 to every one alike: idle and expiry (§8.1, §8.2), the connection cap, broker-outage
 * {@code force_sync} (§10) and the drain at shutdown (§8.6). Every method is called on {@link #eventLoop()}.
 */
public interface Session {
    EventExecutor eventLoop();

    boolean isClosing();

    /** {@link System#nanoTime()} of the client's last sign of life (§8.1). */
    long lastReadNanos();

    /** §8.2: epoch millis after which the session closes 4401. */
    long deadlineMillis();

    /** Ends the session with {@code why}; idempotent. */
    void close(Disconnect why);

    /** The registry's periodic sweep, for the dialect's own timers (Engine.IO heartbeat, connect timeout). */
    void tick(long nowNanos);

    /** §10: a {@code force_sync} for what it is subscribed to among {@code missed}. */
    void forceSync(Set<String> missed);

    /** Bytes written or queued for the client and not yet taken by it: what §8.3's bound keeps small. */
    long outboundBytes();

    /** Runs {@code r} once the session is gone (its socket closed, or its last request answered). */
    void whenClosed(Runnable r);
}
