package io.herald.protocol;

/**
 * The typed event the upgrade fires down a WebSocket pipeline once the 101 is written: the connection opens, or,
 * with a {@code refusal}, is closed with it (§4/§5: a close frame, not an HTTP error). {@link DialectHandler}
 * acts on it.
 */
public record Handshake(Disconnect refusal) {
    public static final Handshake OPEN = new Handshake(null);
}
