package io.herald.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import io.herald.broker.history.History.Position;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * A client's JSON command, read with jackson-core's streaming parser: the string fields of the top-level
 * object and of one nested {@code data} object. Other values are skipped; a field that holds a non-string
 * reads as absent, so a dialect answers it as a missing field ({@code invalid_request}).
 */
public final class Command {
    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(32).build())
            .build();

    /** §8.3: Herald never echoes more than this many characters of client input; a longer {@code id} is refused. */
    public static final int MAX_ECHO = 128;

    /** The maximum number of shares a sync subscribe's {@code since} may name. */
    public static final int MAX_SINCE_KEYS = 10_000;

    private final Map<String, String> fields;
    private final Map<String, String> data;
    private final String id;
    /** §11: the position a subscribe resumes from ({@code "since": {"epoch": e, "offset": o}}), or null. */
    private final Position since;
    /** §11 sync: positions keyed by share. */
    private final Map<String, Position> sinceByKey;

    private Command(Map<String, String> fields, Map<String, String> data, String id, Position since,
                    Map<String, Position> sinceByKey) {
        this.fields = fields;
        this.data = data;
        this.id = id;
        this.since = since;
        this.sinceByKey = sinceByKey;
    }

    /** A top-level string field, or null. */
    public String get(String name) {
        return fields.get(name);
    }

    /** A string field of the nested {@code data} object, or null. */
    public String data(String name) {
        return data.get(name);
    }

    /** The client's {@code id} as raw JSON (string or number) to echo back, or null (§6). */
    public String rawId() {
        return id;
    }

    /** Thrown for anything that is not a JSON object. */
    public static final class Malformed extends Exception {
        public Malformed(String message) {
            super(message, null, false, false);
        }
    }

    /** Parses a text message; does not release {@code utf8}. */
    public static Command parse(ByteBuf utf8) throws Malformed {
        try (JsonParser p = JSON.createParser((java.io.InputStream) new ByteBufInputStream(utf8.duplicate()))) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new Malformed("expected a JSON object");
            }
            Map<String, String> fields = new HashMap<>(4);
            Map<String, String> data = Map.of();
            String id = null;
            Position since = null;
            Map<String, Position> sinceByKey = Map.of();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                if (name.equals("id") && (t == JsonToken.VALUE_STRING || t == JsonToken.VALUE_NUMBER_INT
                        || t == JsonToken.VALUE_NUMBER_FLOAT) && p.getTextLength() > MAX_ECHO) {
                    throw new Malformed("id longer than " + MAX_ECHO + " characters");
                }
                if (t == JsonToken.VALUE_STRING) {
                    fields.put(name, p.getText());
                    if (name.equals("id")) {
                        id = quote(p.getText());
                    }
                } else if (name.equals("id") && (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT)) {
                    id = p.getText();
                } else if (name.equals("since") && t == JsonToken.START_OBJECT) {
                    // §11: one position (realtime), or positions keyed by share (sync)
                    Map<String, Position> keyed = new HashMap<>();
                    since = sinceOrKeyed(p, keyed);
                    sinceByKey = keyed;
                } else if (name.equals("data") && t == JsonToken.START_OBJECT) {
                    data = new HashMap<>(4);
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String inner = p.currentName();
                        JsonToken it = p.nextToken();
                        if (it == JsonToken.VALUE_STRING) {
                            data.put(inner, p.getText());
                        } else if (inner.equals("since") && it == JsonToken.START_OBJECT) {
                            since = since(p); // §11 channels: the position rides in data
                        } else {
                            p.skipChildren();
                        }
                    }
                } else {
                    p.skipChildren();
                }
            }
            if (p.nextToken() != null) {
                throw new Malformed("trailing content after the JSON object");
            }
            return new Command(fields, data, id, since, sinceByKey);
        } catch (JsonProcessingException e) {
            throw new Malformed("malformed JSON");
        } catch (IOException e) {
            throw new Malformed("unreadable message");
        }
    }

    /** The {@code since} of a subscribe (§11), or null. */
    public Position since() {
        return since;
    }

    /** Sync's {@code since} (§11): positions keyed by share; empty when the subscribe had none. */
    public Map<String, Position> sinceByKey() {
        return sinceByKey;
    }

    private static final String NOT_A_POSITION = "since must be {\"epoch\": string, \"offset\": integer >= 0}";

    /** The two fields of one position as they are read. */
    private static final class PositionFields {
        String epoch;
        long offset = -1;
        boolean seen;

        /** Takes {@code name}'s value when it is one of a position's fields; false (value untouched) otherwise. */
        boolean take(JsonParser p, String name, JsonToken t) throws IOException {
            if (!(name.equals("epoch") || name.equals("offset")) || t == JsonToken.START_OBJECT) {
                return false; // a share may be named "epoch": its value is then an object
            }
            seen = true;
            if (name.equals("epoch") && t == JsonToken.VALUE_STRING && p.getTextLength() <= MAX_ECHO) {
                epoch = p.getText();
            } else if (name.equals("offset") && t == JsonToken.VALUE_NUMBER_INT
                    && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER) {
                offset = p.getLongValue();
            } else {
                p.skipChildren();
            }
            return true;
        }

        Position position() throws Malformed {
            if (epoch == null || offset < 0) {
                throw new Malformed(NOT_A_POSITION);
            }
            return new Position(epoch, offset);
        }
    }

    /**
     * The object after {@code "since":}: one position when it names {@code epoch} or {@code offset} (returned), else
     * positions keyed by share (put in {@code keyed}, null returned).
     */
    private static Position sinceOrKeyed(JsonParser p, Map<String, Position> keyed) throws IOException, Malformed {
        PositionFields one = new PositionFields();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken t = p.nextToken();
            if (one.take(p, name, t)) {
                continue;
            }
            if (t == JsonToken.START_OBJECT) {
                if (keyed.size() >= MAX_SINCE_KEYS) {
                    throw new Malformed("since names more than " + MAX_SINCE_KEYS + " topics");
                }
                keyed.put(name, since(p));
            } else {
                p.skipChildren();
            }
        }
        if (one.seen || keyed.isEmpty()) {
            keyed.clear();
            return one.position();
        }
        return null;
    }

    /** {@code {"epoch": "…", "offset": n}}, both required; anything else is not a position. */
    private static Position since(JsonParser p) throws IOException, Malformed {
        PositionFields one = new PositionFields();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken t = p.nextToken();
            if (!one.take(p, name, t)) {
                p.skipChildren();
            }
        }
        return one.position();
    }

    /** True when {@code value} may be echoed to the client (§8.3: at most {@link #MAX_ECHO} characters). */
    public static boolean echoable(String value) {
        return value != null && value.length() <= MAX_ECHO;
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        com.fasterxml.jackson.core.io.JsonStringEncoder.getInstance().quoteAsString(s, b);
        return b.append('"').toString();
    }
}
