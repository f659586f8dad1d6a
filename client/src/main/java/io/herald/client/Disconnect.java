package io.herald.client;

/**
 * Why a connection or an attempt ended, as a value: what happened, the WebSocket close code
 * (PROTOCOL.md §8.7; 1006 when no close frame was exchanged) and a short reason.
 */
public record Disconnect(Kind kind, int closeCode, String reason) {
    /** RFC 6455 §7.1.5: the connection closed without a close frame. */
    public static final int ABNORMAL_CLOSURE = 1006;
    /** §4, §5, §6, §8.2: token invalid or expired. */
    public static final int UNAUTHORIZED = 4401;
    /** §4: device not registered; §8.7 forbidden. */
    public static final int FORBIDDEN = 4403;

    public enum Kind {
        /** The server sent a close frame; {@link #closeCode()} is its code. */
        CLOSED_BY_SERVER,
        /** The socket closed without a close frame after the upgrade. */
        CONNECTION_LOST,
        /** TCP connect failed, timed out, or the upgrade did not complete. */
        CONNECT_FAILED,
        /** The server answered the upgrade with an HTTP error status (e.g. 503 at the connection cap). */
        HANDSHAKE_REFUSED,
        /** No {@code pong} within the pong timeout (the client closed). */
        PONG_TIMEOUT,
        /** {@code close()} was called. */
        CLOSED_BY_CLIENT
    }

    public Disconnect {
        if (kind == null) {
            throw new IllegalArgumentException("kind");
        }
        reason = reason == null ? "" : reason;
    }

    static Disconnect closedByServer(int code, String reason) {
        return new Disconnect(Kind.CLOSED_BY_SERVER, code < 0 ? 1005 : code, reason);
    }

    static Disconnect connectionLost(String reason) {
        return new Disconnect(Kind.CONNECTION_LOST, ABNORMAL_CLOSURE, reason);
    }

    static Disconnect connectFailed(String reason) {
        return new Disconnect(Kind.CONNECT_FAILED, ABNORMAL_CLOSURE, reason);
    }

    static Disconnect handshakeRefused(int httpStatus) {
        return new Disconnect(Kind.HANDSHAKE_REFUSED, ABNORMAL_CLOSURE, "HTTP " + httpStatus);
    }

    static Disconnect pongTimeout() {
        return new Disconnect(Kind.PONG_TIMEOUT, ABNORMAL_CLOSURE, "no pong in time");
    }

    static Disconnect closedByClient() {
        return new Disconnect(Kind.CLOSED_BY_CLIENT, 1000, "closed by client");
    }

    /** The server refused the token or the device (§4, §5, §6, §8.2): 4401 or 4403. */
    public boolean isAuthRefusal() {
        return kind == Kind.CLOSED_BY_SERVER && (closeCode == UNAUTHORIZED || closeCode == FORBIDDEN);
    }
}
