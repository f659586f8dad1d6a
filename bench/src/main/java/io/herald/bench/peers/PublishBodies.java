package io.herald.bench.peers;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads the body of {@code POST /api/v1/publish} for the peers: one envelope, or {@code {"events":[...]}}.
 * jackson-core streaming, {@code data} cut out as raw bytes; the same work per request for every Java peer,
 * and none of it per subscriber. Thread-safe.
 */
public final class PublishBodies {
    private static final JsonFactory JSON = new JsonFactory();

    private PublishBodies() {
    }

    /** Thrown for a body the peers answer with 400. */
    public static final class BadBody extends Exception {
        private static final long serialVersionUID = 1L;

        BadBody(String message) {
            super(message, null, false, false);
        }
    }

    public static List<PeerEvent> parse(byte[] body) throws BadBody {
        try (JsonParser p = JSON.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new BadBody("body must be a JSON object");
            }
            List<PeerEvent> events = new ArrayList<>();
            String topic = null;
            String eventType = null;
            String shareId = null;
            byte[] data = null;
            boolean batch = false;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken t = p.nextToken();
                switch (field) {
                    case "events" -> {
                        if (t != JsonToken.START_ARRAY) {
                            throw new BadBody("events must be an array");
                        }
                        batch = true;
                        while (p.nextToken() == JsonToken.START_OBJECT) {
                            events.add(readEvent(p, body, "events[" + events.size() + "]"));
                        }
                    }
                    case "topic" -> topic = p.getValueAsString();
                    case "event_type" -> eventType = p.getValueAsString();
                    case "share_id" -> shareId = p.getValueAsString();
                    case "data" -> data = raw(p, body);
                    default -> p.skipChildren();
                }
            }
            if (batch) {
                if (events.isEmpty()) {
                    throw new BadBody("events is empty");
                }
                return events;
            }
            return List.of(event(topic, eventType, shareId, data, "event"));
        } catch (IOException e) {
            throw new BadBody("malformed JSON");
        }
    }

    private static PeerEvent readEvent(JsonParser p, byte[] body, String where) throws IOException, BadBody {
        String topic = null;
        String eventType = null;
        String shareId = null;
        byte[] data = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            p.nextToken();
            switch (field) {
                case "topic" -> topic = p.getValueAsString();
                case "event_type" -> eventType = p.getValueAsString();
                case "share_id" -> shareId = p.getValueAsString();
                case "data" -> data = raw(p, body);
                default -> p.skipChildren();
            }
        }
        return event(topic, eventType, shareId, data, where);
    }

    private static PeerEvent event(String topic, String eventType, String shareId, byte[] data, String where)
            throws BadBody {
        if (topic == null || topic.isEmpty()) {
            throw new BadBody(where + ": topic is required");
        }
        if (eventType == null || eventType.isEmpty()) {
            throw new BadBody(where + ": event_type is required");
        }
        if (shareId == null && topic.startsWith("share:")) {
            shareId = topic.substring("share:".length());
        }
        return new PeerEvent(topic, eventType, shareId, data);
    }

    /** The bytes of the current value, untouched. */
    private static byte[] raw(JsonParser p, byte[] body) throws IOException {
        int from = (int) p.currentTokenLocation().getByteOffset();
        if (p.currentToken().isStructStart()) {
            p.skipChildren();
        } else {
            p.finishToken();
        }
        int to = (int) p.currentLocation().getByteOffset();
        return Arrays.copyOfRange(body, from, to);
    }
}
