package io.herald.client;

import java.util.List;

/**
 * §6 {@code /ws}: every frame is {@code {"type":...,"data":{...}}}; a command's {@code id} comes back in its
 * answer. Events carry {@code channel} at the top level, replies name it inside {@code data}.
 */
final class ChannelsDialect implements ClientDialect {
    static final String PATH = "/ws";
    static final String PING = "{\"type\":\"ping\",\"data\":{}}";

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

    static String subscribe(long id, String channel) {
        return command("subscribe", id, "channel", channel);
    }

    /** §11: a subscribe that resumes from {@code since} (null: a plain subscribe). */
    static String subscribe(long id, String channel, Position since) {
        if (since == null) {
            return subscribe(id, channel);
        }
        return Json.write(g -> {
            g.writeStartObject();
            g.writeStringField("type", "subscribe");
            g.writeNumberField("id", id);
            g.writeObjectFieldStart("data");
            g.writeStringField("channel", channel);
            Json.position(g, "since", since);
            g.writeEndObject();
            g.writeEndObject();
        });
    }

    static String unsubscribe(long id, String channel) {
        return command("unsubscribe", id, "channel", channel);
    }

    static String refresh(long id, String token) {
        return command("refresh", id, "token", token);
    }

    private static String command(String type, long id, String field, String value) {
        return Json.write(g -> {
            g.writeStartObject();
            g.writeStringField("type", type);
            g.writeNumberField("id", id);
            g.writeObjectFieldStart("data");
            g.writeStringField(field, value);
            g.writeEndObject();
            g.writeEndObject();
        });
    }

    @Override
    public ServerMessage classify(JsonFrame f) {
        if (f.type() == null) {
            return null;
        }
        String replyChannel = f.dataStrings().get("channel");
        return switch (f.type()) {
            case "connected" -> ServerMessage.CONNECTED;
            case "pong" -> ServerMessage.PONG;
            case "subscribed" -> {
                Position at = JsonFrame.position(f.dataStrings().get("epoch"), f.dataStrings().get("offset"));
                yield new ServerMessage.Subscribed(replyChannel == null ? List.of() : List.of(replyChannel), f.id(),
                        replyChannel == null || at == null ? java.util.Map.of() : java.util.Map.of(replyChannel, at));
            }
            case "unsubscribed" -> new ServerMessage.Unsubscribed(replyChannel, f.id());
            case "refreshed" -> new ServerMessage.Refreshed(f.id());
            case "error" -> new ServerMessage.Error(new ServerError(f.dataStrings().get("code"), replyChannel,
                    f.dataStrings().get("message"), f.id()));
            // §6 events and §8.3 {"type":"force_sync","channel":"c"}
            default -> new ServerMessage.Event(new HeraldEvent(f.type(), null, f.channel(), f.data()),
                    Math.max(0, f.offset()), "force_sync".equals(f.type()) ? f.position() : null);
        };
    }
}
