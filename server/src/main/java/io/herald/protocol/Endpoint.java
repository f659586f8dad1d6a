package io.herald.protocol;

/** The WebSocket endpoints of PROTOCOL.md §4–§7; the order is the renderer slot order of the hub. */
public enum Endpoint {
    SYNC("sync"), REALTIME("realtime"), CHANNELS("channels"), SOCKETIO("socketio");

    private final String label;

    Endpoint(String label) {
        this.label = label;
    }

    /** The name used in stats and logs. */
    public String label() {
        return label;
    }
}
