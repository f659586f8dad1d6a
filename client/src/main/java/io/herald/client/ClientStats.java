package io.herald.client;

/**
 * Counters of one client since it was created.
 *
 * @param attempts    connection attempts started
 * @param connections connections admitted (CONNECTED reached)
 * @param pingsSent   JSON pings sent (§8.1)
 * @param pongsReceived JSON pongs received
 * @param events      events delivered to listeners
 */
public record ClientStats(long attempts, long connections, long pingsSent, long pongsReceived, long events) {
}
