package io.herald.loadtest.report;

/** What went wrong, for the {@code errors_by_kind} of a summary. */
public enum ErrorKind {
    /** TCP connect failed or timed out. */
    CONNECT("connect"),
    /** The WebSocket upgrade was refused (HTTP status) or timed out. */
    HANDSHAKE("handshake"),
    /** A close the load tool did not ask for (fanout and connections only; chaos expects them). */
    UNEXPECTED_CLOSE("unexpected_close"),
    /** An error frame from the server (§5 {@code {"type":"error"}}, Socket.IO {@code 44}). */
    SERVER_ERROR("server_error"),
    /** A frame the dialect does not allow (binary on a JSON endpoint, an event without seq or t). */
    PROTOCOL("protocol"),
    /** A publish request that was not answered 202. */
    PUBLISH("publish"),
    /** Reading the socket failed (reset, broken pipe). */
    IO("io");

    private final String key;

    ErrorKind(String key) {
        this.key = key;
    }

    /** The snake_case name used in reports. */
    public String key() {
        return key;
    }
}
