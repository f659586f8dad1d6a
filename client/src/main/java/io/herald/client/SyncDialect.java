package io.herald.client;

/**
 * §4 {@code /api/v1/sync/ws/{device_id}}: {@code {"type":...}} commands and replies; events are
 * {@code {"event_type":...}} frames ({@code change}, {@code sync_preference_updated}, {@code force_sync}).
 */
final class SyncDialect implements ClientDialect {
    static final String PATH_PREFIX = "/api/v1/sync/ws/";
    static final String PING = "{\"type\":\"ping\"}";
    static final String SUBSCRIBE = "{\"type\":\"subscribe\"}";

    private final String path;

    SyncDialect(String deviceId) {
        this.path = PATH_PREFIX + deviceId;
    }

    @Override
    public String path() {
        return path;
    }

    @Override
    public String ping() {
        return PING;
    }

    /** §4 has no greeting: a refused token is closed 4401/4403 right after the upgrade, an accepted one is silent. */
    @Override
    public boolean greets() {
        return false;
    }

    @Override
    public ServerMessage classify(JsonFrame f) {
        if (f.eventType() != null) {
            return new ServerMessage.Event(new HeraldEvent(f.eventType(), f.shareId(), null, f.data()));
        }
        if (f.type() == null) {
            return null;
        }
        return switch (f.type()) {
            case "pong" -> ServerMessage.PONG;
            case "subscribed" -> new ServerMessage.Subscribed(f.shares(), null);
            // Not in §4; Herald answers bad input like the realtime endpoint (docs/contract-notes.md).
            case "error" -> new ServerMessage.Error(new ServerError(f.code(), f.shareId(), f.message(), null));
            default -> null;
        };
    }
}
