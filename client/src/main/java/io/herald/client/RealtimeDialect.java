package io.herald.client;

import java.util.List;

/** §5 {@code /api/v1/realtime/ws}: {@code {"action":...}} commands, {@code {"type":...}} frames. */
final class RealtimeDialect implements ClientDialect {
    static final String PATH = "/api/v1/realtime/ws";
    static final String PING = "{\"action\":\"ping\"}";

    @Override
    public String path() {
        return PATH;
    }

    @Override
    public String ping() {
        return PING;
    }

    @Override
    public boolean greets() {
        return true;
    }

    static String subscribe(String shareId) {
        return command("subscribe", shareId);
    }

    /** §11: a subscribe that resumes from {@code since} (null: a plain subscribe). */
    static String subscribe(String shareId, Position since) {
        if (since == null) {
            return subscribe(shareId);
        }
        return Json.write(g -> {
            g.writeStartObject();
            g.writeStringField("action", "subscribe");
            g.writeStringField("share_id", shareId);
            Json.position(g, "since", since);
            g.writeEndObject();
        });
    }

    static String unsubscribe(String shareId) {
        return command("unsubscribe", shareId);
    }

    private static String command(String action, String shareId) {
        return Json.write(g -> {
            g.writeStartObject();
            g.writeStringField("action", action);
            g.writeStringField("share_id", shareId);
            g.writeEndObject();
        });
    }

    @Override
    public ServerMessage classify(JsonFrame f) {
        if (f.type() == null) {
            return null;
        }
        return switch (f.type()) {
            case "connected" -> ServerMessage.CONNECTED;
            case "pong" -> ServerMessage.PONG;
            case "subscribed" -> new ServerMessage.Subscribed(f.shareId() == null ? List.of() : List.of(f.shareId()), null,
                    f.shareId() == null || f.position() == null ? java.util.Map.of() : java.util.Map.of(f.shareId(), f.position()));
            case "unsubscribed" -> new ServerMessage.Unsubscribed(f.shareId(), null);
            case "error" -> new ServerMessage.Error(new ServerError(f.code(), f.shareId(), f.message(), null));
            // Share events carry share_id; user:{sub} and broadcast events do not (§5). force_sync is an event too (§8.3).
            default -> new ServerMessage.Event(new HeraldEvent(f.type(), f.shareId(), null, f.data()),
                    Math.max(0, f.offset()), "force_sync".equals(f.type()) ? f.position() : null);
        };
    }
}
