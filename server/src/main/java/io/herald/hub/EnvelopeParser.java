package io.herald.hub;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Parses §3 envelopes with jackson-core's streaming parser (no databind). {@code data} is not decoded:
 * its bytes are cut out of the input by token offsets so it reaches clients exactly as published.
 * Thread-safe.
 */
public final class EnvelopeParser {
    /** §3 limits. */
    public static final int MAX_ENVELOPE_BYTES = 1024 * 1024;
    public static final int MAX_BATCH_EVENTS = 1000;
    public static final int MAX_BATCH_BYTES = 4 * 1024 * 1024;
    /** An event type becomes a JSON string and a Socket.IO event name; keep it short. */
    public static final int MAX_EVENT_TYPE = 200;
    /**
     * §9 parser limits, pinned rather than left to jackson's defaults: JSON past one is a 400. String length
     * keeps jackson's bound (20 million characters), which no body within {@link #MAX_BATCH_BYTES} reaches.
     */
    public static final int MAX_NESTING_DEPTH = 64;
    public static final int MAX_NUMBER_LENGTH = 1000;
    public static final int MAX_NAME_LENGTH = 50_000;

    private final JsonFactory json;

    public EnvelopeParser() {
        this.json = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(MAX_NESTING_DEPTH)
                        .maxNumberLength(MAX_NUMBER_LENGTH)
                        .maxNameLength(MAX_NAME_LENGTH)
                        .build())
                .build();
    }

    /** One envelope, or a batch {@code {"events":[...]}}, validated whole before anything is returned. */
    public List<Envelope> parseRequest(byte[] body) throws EnvelopeException {
        if (body.length > MAX_BATCH_BYTES) {
            throw new EnvelopeException("body larger than " + MAX_BATCH_BYTES + " bytes", true);
        }
        requireUtf8Object(body);
        String where = null; // the batch event being read, named in a syntax error (§3: "naming the first bad event")
        try (JsonParser p = json.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new EnvelopeException("body must be a JSON object", false);
            }
            // A batch is an object with an "events" array; find out without building anything twice.
            if (!isBatch(body)) {
                Envelope e = readEnvelope(p, body, "event");
                expectEnd(p);
                return List.of(e);
            }
            List<Envelope> out = new ArrayList<>();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken t = p.nextToken();
                if (!"events".equals(field)) {
                    p.skipChildren();
                    continue;
                }
                if (t != JsonToken.START_ARRAY) {
                    throw new EnvelopeException("events must be an array", false);
                }
                while (true) {
                    where = "events[" + out.size() + "]";
                    if (p.nextToken() == JsonToken.END_ARRAY) {
                        break;
                    }
                    if (out.size() == MAX_BATCH_EVENTS) {
                        throw new EnvelopeException("more than " + MAX_BATCH_EVENTS + " events", true);
                    }
                    if (p.currentToken() != JsonToken.START_OBJECT) {
                        throw new EnvelopeException(where + ": must be an object", false);
                    }
                    out.add(readEnvelope(p, body, where));
                }
                where = null;
            }
            expectEnd(p);
            if (out.isEmpty()) {
                throw new EnvelopeException("events is empty", false);
            }
            return out;
        } catch (JsonProcessingException e) {
            throw new EnvelopeException((where == null ? "" : where + ": ") + describe(e), false);
        } catch (IOException e) {
            throw new EnvelopeException("unreadable body", false);
        }
    }

    /** One envelope, as a backend publishes it through Redis (§3). */
    public Envelope parseOne(byte[] body) throws EnvelopeException {
        if (body.length > MAX_ENVELOPE_BYTES) {
            throw new EnvelopeException("envelope larger than " + MAX_ENVELOPE_BYTES + " bytes", true);
        }
        requireUtf8Object(body);
        try (JsonParser p = json.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new EnvelopeException("envelope must be a JSON object", false);
            }
            Envelope e = readEnvelope(p, body, "event");
            expectEnd(p);
            return e;
        } catch (JsonProcessingException e) {
            throw new EnvelopeException(describe(e), false);
        } catch (IOException e) {
            throw new EnvelopeException("unreadable envelope", false);
        }
    }

    /**
     * The client's mistake in a few words (§3 400). A broken parser limit (§9) comes as a
     * {@link StreamConstraintsException} without a location, so the location is never taken for granted.
     */
    private static String describe(JsonProcessingException e) {
        if (e instanceof StreamConstraintsException) {
            // "Document nesting depth (65) exceeds the maximum allowed (64, from `StreamReadConstraints...`)":
            // numbers only, never input; the name of jackson's setting means nothing to the client.
            String m = e.getOriginalMessage();
            int setting = m.indexOf(", from `");
            return "JSON breaks a parser limit: " + (setting > 0 ? m.substring(0, setting) + ")" : m);
        }
        JsonLocation at = e.getLocation();
        return at == null || at.getByteOffset() < 0 ? "malformed JSON" : "malformed JSON at byte " + at.getByteOffset();
    }

    private boolean isBatch(byte[] body) throws IOException {
        try (JsonParser p = json.createParser(body)) {
            p.nextToken();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken t = p.nextToken();
                if ("events".equals(field) && t == JsonToken.START_ARRAY) {
                    return true;
                }
                p.skipChildren();
            }
            return false;
        } catch (JsonProcessingException e) {
            return false; // the real pass reports it with its offset
        }
    }

    /** Reads the object whose START_OBJECT is the current token; leaves the parser on its END_OBJECT. */
    private static Envelope readEnvelope(JsonParser p, byte[] body, String where) throws IOException, EnvelopeException {
        long start = p.currentTokenLocation().getByteOffset();
        String topicName = null;
        String eventType = null;
        String shareId = null;
        String deviceId = null;
        byte[] data = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken t = p.nextToken();
            switch (field) {
                case "topic": topicName = string(p, t, where, field); break;
                case "event_type": eventType = string(p, t, where, field); break;
                case "share_id": shareId = t == JsonToken.VALUE_NULL ? null : string(p, t, where, field); break;
                case "device_id": deviceId = t == JsonToken.VALUE_NULL ? null : string(p, t, where, field); break;
                case "data": data = rawValue(p, body, where); break;
                default: p.skipChildren(); break;
            }
        }
        long end = p.currentLocation().getByteOffset();
        if (end - start > MAX_ENVELOPE_BYTES) {
            throw new EnvelopeException(where + ": larger than " + MAX_ENVELOPE_BYTES + " bytes", true);
        }
        if (topicName == null) {
            throw new EnvelopeException(where + ": topic is required", false);
        }
        Topic topic = Topic.parse(topicName);
        if (topic == null) {
            throw new EnvelopeException(where + ": topic is not a valid topic (share:, device:, user:, channel:, broadcast)", false);
        }
        if (eventType == null || eventType.isEmpty()) {
            throw new EnvelopeException(where + ": event_type is required", false);
        }
        if (eventType.length() > MAX_EVENT_TYPE) {
            throw new EnvelopeException(where + ": event_type longer than " + MAX_EVENT_TYPE, false);
        }
        if (shareId != null && !Topic.isValidId(shareId)) {
            throw new EnvelopeException(where + ": share_id is not a valid id", false);
        }
        if (deviceId != null && !Topic.isValidId(deviceId)) {
            throw new EnvelopeException(where + ": device_id is not a valid id", false);
        }
        if (shareId == null && topic.kind() == Topic.Kind.SHARE) {
            shareId = topic.id();
        }
        if (deviceId == null && topic.kind() == Topic.Kind.DEVICE) {
            deviceId = topic.id();
        }
        return new Envelope(topic, eventType, data, shareId, deviceId);
    }

    private static String string(JsonParser p, JsonToken t, String where, String field) throws EnvelopeException, IOException {
        if (t != JsonToken.VALUE_STRING) {
            throw new EnvelopeException(where + ": " + field + " must be a string", false);
        }
        return p.getText();
    }

    /**
     * The bytes of {@code p}'s current value in {@code body}, untouched and checked to be UTF-8 (for other readers of
     * event-shaped JSON, such as the auth proxy's {@code events}, §12); {@code p} must read {@code body} from its start.
     */
    public static byte[] raw(JsonParser p, byte[] body) throws IOException, EnvelopeException {
        return rawValue(p, body, "data");
    }

    /** The bytes of the current value, untouched. Scalars are finished first so their end offset is exact. */
    private static byte[] rawValue(JsonParser p, byte[] body, String where) throws IOException, EnvelopeException {
        int from = (int) p.currentTokenLocation().getByteOffset();
        if (from < 0) {
            throw new EnvelopeException(where + ": body must be UTF-8", false);
        }
        if (p.currentToken().isStructStart()) {
            p.skipChildren();
        } else {
            p.finishToken();
        }
        int to = (int) p.currentLocation().getByteOffset();
        while (to > from && isJsonWhitespace(body[to - 1])) {
            to--;
        }
        byte[] data = Arrays.copyOfRange(body, from, to);
        if (!isValidUtf8(data)) {
            // Skipped values are not decoded by the parser; a bad sequence would reach every subscriber as an
            // invalid text frame and fail their connections (RFC 6455 §8.1).
            throw new EnvelopeException(where + ": data is not valid UTF-8", false);
        }
        return data;
    }

    private static boolean isValidUtf8(byte[] bytes) {
        for (byte b : bytes) {
            if (b < 0) {
                try {
                    StandardCharsets.UTF_8.newDecoder()
                            .onMalformedInput(CodingErrorAction.REPORT)
                            .onUnmappableCharacter(CodingErrorAction.REPORT)
                            .decode(ByteBuffer.wrap(bytes));
                    return true;
                } catch (CharacterCodingException e) {
                    return false;
                }
            }
        }
        return true; // ASCII: the common case costs one pass
    }

    /**
     * Jackson guesses UTF-16/32 from zero bytes or a byte-order mark; §3 envelopes are UTF-8 JSON objects,
     * so the first non-blank byte must be '{' and the first four bytes hold no zero.
     */
    private static void requireUtf8Object(byte[] body) throws EnvelopeException {
        int i = 0;
        while (i < body.length && isJsonWhitespace(body[i])) {
            i++;
        }
        if (i == body.length || body[i] != '{') {
            throw new EnvelopeException("body must be a UTF-8 JSON object", false);
        }
        for (int j = 0; j < Math.min(4, body.length); j++) {
            if (body[j] == 0) {
                throw new EnvelopeException("body must be a UTF-8 JSON object", false);
            }
        }
    }

    private static boolean isJsonWhitespace(byte b) {
        return b == ' ' || b == '\n' || b == '\r' || b == '\t';
    }

    private static void expectEnd(JsonParser p) throws IOException, EnvelopeException {
        if (p.nextToken() != null) {
            throw new EnvelopeException("trailing content after the JSON object", false);
        }
    }
}
