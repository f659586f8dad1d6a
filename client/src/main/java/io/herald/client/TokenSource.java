package io.herald.client;

/**
 * Gives the token for the next connection attempt (§2). Called on the client's I/O thread before every
 * attempt, so an app can hand out a refreshed token after expiry (§8.2); it must not block.
 */
@FunctionalInterface
public interface TokenSource {
    /** The token, or null to connect without one (the server will close 4401). */
    String token();

    static TokenSource of(String token) {
        return () -> token;
    }
}
