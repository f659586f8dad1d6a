package io.herald.client;

/**
 * Where a {@link HeraldClient} stands. Reported to {@link StateListener}s on every change.
 *
 * <pre>
 * DISCONNECTED --connect()--> CONNECTING --admitted--> CONNECTED
 *                                  |                              |
 *                                  +--failed--> RECONNECTING <----+ closed, lost, pong timeout
 *                                                    |
 *                                  CONNECTING <--backoff elapsed--+
 * any state --close(), or a 4401/4403 the policy gives up on--> DISCONNECTED
 * </pre>
 */
public enum ConnectionState {
    /** Not connected and not trying: before {@code connect()}, after {@code close()}, or after giving up. */
    DISCONNECTED,
    /**
     * An attempt is under way: TCP connect, the WebSocket upgrade, and admission (the server's first word that
     * it accepted the token: {@code connected} on realtime and channels, the answer to a ping or to
     * {@code subscribe} on sync).
     */
    CONNECTING,
    /** Admitted: subscriptions were sent again and events flow. A connection that got here is "good". */
    CONNECTED,
    /** The last connection or attempt ended; the next attempt waits for its backoff delay. */
    RECONNECTING
}
