package io.herald.client;

import java.time.Duration;

/**
 * One transition of a {@link HeraldClient}.
 *
 * @param previous   the state before
 * @param current    the state now
 * @param disconnect why the last connection or attempt ended; null when the change is not caused by one
 *                   (CONNECTING, CONNECTED)
 * @param retryIn    the backoff delay before the next attempt when {@code current} is RECONNECTING, else null
 */
public record StateChange(ConnectionState previous, ConnectionState current, Disconnect disconnect,
                          Duration retryIn) {
    /** True when the client went DISCONNECTED because the server refused its credentials and it gave up. */
    public boolean gaveUp() {
        return current == ConnectionState.DISCONNECTED && disconnect != null && disconnect.isAuthRefusal();
    }
}
