package io.herald.client;

/**
 * §4 {@code /api/v1/sync/ws/{device_id}}: {@code {"type":...}} commands and replies; events are
 * {@code {"event_type":...}} frames ({@code change}, {@code sync_preference_updated}, {@code force_sync}).
 */
final class SyncDialect implements ClientDialect {
    static final String PATH_PREFIX = "/api/v1/sync/ws/";
    static final String PING = "{\"type\":\"ping\"}";
    static final String SUBSCRIBE = "{\"type\":\"subscribe\"}";

    /** §11: a subscribe that resumes each share of {@code since} from its position. */
    static String subscribe(java.util.Map<String, Position> since) {
        if (since.isEmpty()) {
            return SUBSCRIBE;
        }
        return Json.write(g -> {
            g.writeStartObject();
            g.writeStringField("type", "subscribe");
            g.writeObjectFieldStart("since");
            for (java.util.Map.Entry<String, Position> e : since.entrySet()) {
                Json.position(g, e.getKey(), e.getValue());
            }
            g.writeEndObject();
            g.writeEndObject();
        });
    }

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
            return new ServerMessage.Event(new HeraldEvent(f.eventType(), f.shareId(), null, f.data()),
                    Math.max(0, f.offset()), "force_sync".equals(f.eventType()) ? f.position() : null);
        }
        if (f.type() == null) {
            return null;
        }
        return switch (f.type()) {
            case "pong" -> ServerMessage.PONG;
            case "subscribed" -> new ServerMessage.Subscribed(f.shares(), null, f.positions());
            // Not in §4; Herald answers bad input like the realtime endpoint (docs/contract-notes.md).
            case "error" -> new ServerMessage.Error(new ServerError(f.code(), f.shareId(), f.message(), null));
            default -> null;
        };
    }
}
