package io.herald.protocol;

/**
 * Why Herald closes a WebSocket: the close code and short reason of PROTOCOL.md §8.7, as values.
 * A reason never echoes client input.
 */
public enum Disconnect {
    NORMAL(1000, "normal closure"),
    GOING_AWAY(1001, "going away"),
    IDLE_TIMEOUT(1001, "idle timeout"),
    /** §7: Engine.IO's pong did not come within pingTimeout. */
    PING_TIMEOUT(1001, "ping timeout"),
    /** §7: no Socket.IO CONNECT within connectTimeout. */
    CONNECT_TIMEOUT(1001, "connect timeout"),
    PROTOCOL_ERROR(1002, "protocol error"),
    UNSUPPORTED_DATA(1003, "binary messages not supported"),
    INVALID_UTF8(1007, "invalid UTF-8"),
    POLICY(1008, "policy violation"),
    RATE_LIMITED(1008, "rate limit exceeded"),
    TOO_BIG(1009, "message too big"),
    INTERNAL_ERROR(1011, "internal error"),
    /** §10: a subscription the connection was promised could not be confirmed; the client reconnects. */
    TRY_AGAIN_LATER(1013, "try again later"),
    UNAUTHORIZED(4401, "unauthorized"),
    TOKEN_EXPIRED(4401, "token expired"),
    /** §12 control API: the backend ended this user's or session's connections. */
    REVOKED(4401, "revoked"),
    DEVICE_NOT_REGISTERED(4403, "device not registered"),
    FORBIDDEN(4403, "forbidden"),
    SLOW_CONSUMER(4408, "slow consumer");

    private final int code;
    private final String reason;

    Disconnect(int code, String reason) {
        this.code = code;
        this.reason = reason;
    }

    public int code() {
        return code;
    }

    public String reason() {
        return reason;
    }
}
