package io.herald.api;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.herald.hub.RawJson;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * §9 {@code ?scope=cluster}: the stats shape summed over instances. Numbers are added (except
 * {@code uptime_s}, the longest), {@code broker.connected} is true only when every instance is connected,
 * {@code instance} names the instance that answered, and {@code "instances"} lists each instance's own
 * figures as it last wrote them. This instance counts with its current figures, not its stored copy.
 * Admin-only and rare, so it parses the small reports into maps.
 */
final class ClusterStats {
    private static final JsonFactory JSON = new JsonFactory();

    private ClusterStats() {
    }

    static void write(JsonGenerator g, String self, byte[] own, List<byte[]> stored) throws IOException {
        List<byte[]> reports = new ArrayList<>();
        reports.add(own);
        for (byte[] r : stored) {
            Map<String, Object> m = parse(r);
            if (m != null && !self.equals(m.get("instance"))) {
                reports.add(r);
            }
        }
        Map<String, Object> sum = null;
        for (byte[] r : reports) {
            Map<String, Object> m = parse(r);
            if (m != null) {
                sum = sum == null ? m : merge(sum, m);
            }
        }
        sum.put("instance", self);
        g.writeStartObject();
        writeFields(g, sum);
        g.writeArrayFieldStart("instances");
        for (byte[] r : reports) {
            g.writeRawValue(new RawJson(r));
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> merge(Map<String, Object> into, Map<String, Object> add) {
        for (Map.Entry<String, Object> e : add.entrySet()) {
            Object a = into.get(e.getKey());
            Object b = e.getValue();
            if (a instanceof Long x && b instanceof Long y) {
                into.put(e.getKey(), e.getKey().equals("uptime_s") ? Math.max(x, y) : x + y);
            } else if (a instanceof Boolean x && b instanceof Boolean y) {
                into.put(e.getKey(), x && y);
            } else if (a instanceof Map && b instanceof Map) {
                merge((Map<String, Object>) a, (Map<String, Object>) b);
            } else if (a == null) {
                into.put(e.getKey(), b);
            }
        }
        return into;
    }

    /** An instance report as nested maps; null when it is not a JSON object (a foreign or broken key). */
    static Map<String, Object> parse(byte[] json) {
        try (JsonParser p = JSON.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            return readObject(p);
        } catch (IOException e) {
            return null;
        }
    }

    private static Map<String, Object> readObject(JsonParser p) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken t = p.nextToken();
            switch (t) {
                case START_OBJECT -> m.put(name, readObject(p));
                case VALUE_NUMBER_INT -> m.put(name, p.getLongValue());
                case VALUE_TRUE, VALUE_FALSE -> m.put(name, t == JsonToken.VALUE_TRUE);
                case VALUE_STRING -> m.put(name, p.getText());
                default -> p.skipChildren();
            }
        }
        return m;
    }

    @SuppressWarnings("unchecked")
    private static void writeFields(JsonGenerator g, Map<String, Object> m) throws IOException {
        for (Map.Entry<String, Object> e : m.entrySet()) {
            Object v = e.getValue();
            if (v instanceof Map) {
                g.writeObjectFieldStart(e.getKey());
                writeFields(g, (Map<String, Object>) v);
                g.writeEndObject();
            } else if (v instanceof Long l) {
                g.writeNumberField(e.getKey(), l);
            } else if (v instanceof Boolean b) {
                g.writeBooleanField(e.getKey(), b);
            } else if (v != null) {
                g.writeStringField(e.getKey(), v.toString());
            }
        }
    }
}
