package io.herald.client;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The fields of one server frame that any dialect reads, pulled out with jackson-core's streaming parser in a
 * single pass. {@code data} is kept as the exact bytes the server sent (sliced by the parser's byte offsets),
 * together with the string fields of a {@code data} object, which the §6 replies use. Unknown fields are skipped.
 */
record JsonFrame(String type, String eventType, String shareId, String channel, String code, String message,
                 String id, List<String> shares, String data, Map<String, String> dataStrings, String epoch, long offset,
                 Map<String, Position> positions) {

    /** Thrown for a text message that is not one JSON object. */
    static final class MalformedFrameException extends Exception {
        MalformedFrameException(String message) {
            super(message, null, false, false);
        }
    }

    /** Reads a text message; does not release {@code utf8}. */
    static JsonFrame read(ByteBuf utf8) throws MalformedFrameException {
        int base = utf8.readerIndex();
        try (JsonParser p = Json.FACTORY.createParser((InputStream) new ByteBufInputStream(utf8.duplicate()))) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new MalformedFrameException("expected a JSON object");
            }
            String type = null;
            String eventType = null;
            String shareId = null;
            String channel = null;
            String code = null;
            String message = null;
            String id = null;
            List<String> shares = null;
            String data = null;
            Map<String, String> dataStrings = Map.of();
            String epoch = null;
            long offset = -1;
            Map<String, Position> positions = Map.of();
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                switch (name) {
                    case "type" -> type = text(p, value);
                    case "event_type" -> eventType = text(p, value);
                    case "share_id" -> shareId = text(p, value);
                    case "channel" -> channel = text(p, value);
                    case "code" -> code = text(p, value);
                    case "message" -> message = text(p, value);
                    case "id" -> id = rawScalar(p, value);
                    case "shares" -> shares = strings(p, value);
                    case "epoch" -> epoch = text(p, value); // §11
                    case "offset" -> offset = number(p, value);
                    case "positions" -> positions = positions(p, value);
                    case "data" -> {
                        long start = p.currentTokenLocation().getByteOffset();
                        if (value == JsonToken.START_OBJECT) {
                            dataStrings = objectStrings(p);
                        } else if (value.isStructStart()) {
                            p.skipChildren();
                        } else {
                            p.finishToken(); // a lazily read string ends at its closing quote only once finished
                        }
                        long end = p.currentLocation().getByteOffset();
                        data = utf8.toString(base + (int) start, (int) (end - start), StandardCharsets.UTF_8);
                    }
                    default -> p.skipChildren();
                }
            }
            if (t != JsonToken.END_OBJECT || p.nextToken() != null) {
                throw new MalformedFrameException("trailing content after the JSON object");
            }
            return new JsonFrame(type, eventType, shareId, channel, code, message, id,
                    shares == null ? List.of() : shares, data, dataStrings, epoch, offset, positions);
        } catch (JsonProcessingException e) {
            throw new MalformedFrameException("malformed JSON");
        } catch (IOException e) {
            throw new MalformedFrameException("unreadable message");
        }
    }

    /** A string value, or null (other values are skipped: a non-string field reads as absent). */
    private static String text(JsonParser p, JsonToken value) throws IOException {
        if (value == JsonToken.VALUE_STRING) {
            return p.getText();
        }
        p.skipChildren();
        return null;
    }

    /** A non-negative integer, or -1 (other values are skipped). */
    private static long number(JsonParser p, JsonToken value) throws IOException {
        if (value == JsonToken.VALUE_NUMBER_INT && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER) {
            return Math.max(-1, p.getLongValue());
        }
        p.skipChildren();
        return -1;
    }

    /** §11 sync: {@code {"s1":{"epoch":"…","offset":n},…}}; entries that are not positions are skipped. */
    private static Map<String, Position> positions(JsonParser p, JsonToken value) throws IOException {
        if (value != JsonToken.START_OBJECT) {
            p.skipChildren();
            return Map.of();
        }
        Map<String, Position> out = new HashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            if (p.nextToken() != JsonToken.START_OBJECT) {
                p.skipChildren();
                continue;
            }
            Map<String, String> fields = objectStrings(p);
            Position at = position(fields.get("epoch"), fields.get("offset"));
            if (at != null) {
                out.put(key, at);
            }
        }
        return Map.copyOf(out);
    }

    /** A position from its two fields as text, or null. */
    static Position position(String epoch, String offset) {
        if (epoch == null || offset == null) {
            return null;
        }
        try {
            long o = Long.parseLong(offset);
            return o < 0 ? null : new Position(epoch, o);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The frame's own {@code epoch} and {@code offset} (realtime {@code subscribed}, {@code force_sync}), or null. */
    Position position() {
        return epoch == null || offset < 0 ? null : new Position(epoch, offset);
    }

    /** §6 ids are strings or numbers; kept as their JSON text so they compare as sent. */
    private static String rawScalar(JsonParser p, JsonToken value) throws IOException {
        if (value == JsonToken.VALUE_STRING) {
            return p.getText();
        }
        if (value == JsonToken.VALUE_NUMBER_INT || value == JsonToken.VALUE_NUMBER_FLOAT) {
            return p.getText();
        }
        p.skipChildren();
        return null;
    }

    private static List<String> strings(JsonParser p, JsonToken value) throws IOException {
        if (value != JsonToken.START_ARRAY) {
            p.skipChildren();
            return null;
        }
        List<String> out = new ArrayList<>();
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t == JsonToken.VALUE_STRING) {
                out.add(p.getText());
            } else {
                p.skipChildren();
            }
        }
        return List.copyOf(out);
    }

    /**
     * The string fields of an object, and its integers as their text (§11 {@code offset}); other values skipped.
     * Leaves the parser on its END_OBJECT.
     */
    private static Map<String, String> objectStrings(JsonParser p) throws IOException {
        Map<String, String> out = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken v = p.nextToken();
            if (v == JsonToken.VALUE_STRING || v == JsonToken.VALUE_NUMBER_INT) {
                if (out == null) {
                    out = new HashMap<>(4);
                }
                out.put(name, p.getText());
            } else {
                p.skipChildren();
            }
        }
        return out == null ? Map.of() : out;
    }
}
