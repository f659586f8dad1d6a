package io.herald.protocol.socketio;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;

import java.io.IOException;

/**
 * One Socket.IO v5 packet, as carried in an Engine.IO {@code message} packet:
 * {@code <type>[<attachments>-][<namespace>,][<ack id>][<JSON payload>]}. Parsed by hand (the format is a few
 * characters of header) with jackson-core's streaming parser for the JSON part; no databind.
 *
 * @param type        0 CONNECT, 1 DISCONNECT, 2 EVENT, 3 ACK, 4 CONNECT_ERROR, 5 BINARY_EVENT, 6 BINARY_ACK
 * @param attachments binary attachments announced by a BINARY_EVENT or BINARY_ACK, else 0
 * @param namespace   {@code /} unless named
 * @param ackId       the ack id, or -1
 * @param payload     the JSON payload as sent, or null
 * @param eventName   an EVENT's first array element (its name), else null
 * @param eventArgs   an EVENT's arguments as raw JSON, comma-joined without brackets ({@code ""} when none)
 * @param auth        what a CONNECT payload carries ({@code token}; §11 {@code recover}, {@code pid}, {@code offset}),
 *                    or null
 */
record SioPacket(int type, int attachments, String namespace, long ackId, String payload, String eventName,
                 String eventArgs, Auth auth) {

    /**
     * A CONNECT payload's fields Herald reads: the token (§7), and for connection state recovery (§11) the client's
     * {@code recover} wish, the {@code pid} and the last {@code offset} it saw (any of them null when absent).
     */
    record Auth(String token, boolean recover, String pid, String offset) {
    }

    /** The CONNECT payload's {@code token} string, or null. */
    String authToken() {
        return auth == null ? null : auth.token();
    }

    static final int CONNECT = 0;
    static final int DISCONNECT = 1;
    static final int EVENT = 2;
    static final int ACK = 3;
    static final int CONNECT_ERROR = 4;
    static final int BINARY_EVENT = 5;
    static final int BINARY_ACK = 6;

    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build())
            .build();

    /** Thrown for anything that is not a valid Socket.IO packet. */
    static final class Malformed extends Exception {
        Malformed(String message) {
            super(message, null, false, false);
        }
    }

    /** Parses {@code s}, the text after the Engine.IO {@code 4}. */
    static SioPacket parse(String s) throws Malformed {
        if (s.isEmpty()) {
            throw new Malformed("empty packet");
        }
        int type = s.charAt(0) - '0';
        if (type < CONNECT || type > BINARY_ACK) {
            throw new Malformed("unknown packet type");
        }
        int i = 1;
        int attachments = 0;
        if (type == BINARY_EVENT || type == BINARY_ACK) {
            int dash = s.indexOf('-', i);
            if (dash < 0 || dash == i || dash - i > 6) {
                throw new Malformed("bad attachment count");
            }
            for (int k = i; k < dash; k++) {
                if (!Character.isDigit(s.charAt(k))) {
                    throw new Malformed("bad attachment count");
                }
            }
            attachments = Integer.parseInt(s, i, dash, 10);
            i = dash + 1;
        }
        String namespace = "/";
        if (i < s.length() && s.charAt(i) == '/') {
            int comma = s.indexOf(',', i);
            int end = comma < 0 ? s.length() : comma;
            namespace = s.substring(i, end);
            i = comma < 0 ? s.length() : comma + 1;
        }
        long ackId = -1;
        int digits = i;
        while (digits < s.length() && Character.isDigit(s.charAt(digits)) && digits - i < 18) {
            digits++;
        }
        if (digits > i) {
            ackId = Long.parseLong(s, i, digits, 10);
            i = digits;
        }
        String payload = i < s.length() ? s.substring(i) : null;
        String eventName = null;
        String eventArgs = null;
        Auth authToken = null;
        switch (type) {
            case CONNECT -> {
                if (payload != null) {
                    authToken = connectPayload(payload);
                }
            }
            case DISCONNECT -> {
                if (payload != null) {
                    throw new Malformed("DISCONNECT carries no payload");
                }
            }
            case EVENT, BINARY_EVENT -> {
                if (payload == null) {
                    throw new Malformed("EVENT without payload");
                }
                String[] nameAndArgs = event(payload);
                eventName = nameAndArgs[0];
                eventArgs = nameAndArgs[1];
            }
            case ACK, BINARY_ACK -> {
                if (ackId < 0 || payload == null || !isArray(payload)) {
                    throw new Malformed("ACK needs an id and an array");
                }
            }
            default -> throw new Malformed("a client may not send CONNECT_ERROR");
        }
        return new SioPacket(type, attachments, namespace, ackId, payload, eventName, eventArgs, authToken);
    }

    /** The longest {@code pid} or {@code offset} taken; longer ones are ignored (they are not Herald's). */
    static final int MAX_RECOVERY_FIELD = 512;

    /** A CONNECT payload must be a JSON object; returns what Herald reads of it. */
    private static Auth connectPayload(String payload) throws Malformed {
        try (JsonParser p = JSON.createParser(payload)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new Malformed("CONNECT payload must be an object");
            }
            String token = null;
            boolean recover = false;
            String pid = null;
            String offset = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                if ("token".equals(name) && t == JsonToken.VALUE_STRING) {
                    token = p.getText();
                } else if ("recover".equals(name) && t == JsonToken.VALUE_TRUE) {
                    recover = true;
                } else if ("pid".equals(name) && t == JsonToken.VALUE_STRING && p.getTextLength() <= MAX_RECOVERY_FIELD) {
                    pid = p.getText();
                } else if ("offset".equals(name) && t == JsonToken.VALUE_STRING && p.getTextLength() <= MAX_RECOVERY_FIELD) {
                    offset = p.getText();
                } else {
                    p.skipChildren();
                }
            }
            if (p.nextToken() != null) {
                throw new Malformed("trailing content");
            }
            return new Auth(token, recover, pid, offset);
        } catch (JsonProcessingException e) {
            throw new Malformed("malformed JSON");
        } catch (IOException e) {
            throw new Malformed("unreadable");
        }
    }

    /** {@code ["name", args...]}: the name and the raw arguments. */
    private static String[] event(String payload) throws Malformed {
        try (JsonParser p = JSON.createParser(payload)) {
            if (p.nextToken() != JsonToken.START_ARRAY || p.nextToken() != JsonToken.VALUE_STRING) {
                throw new Malformed("EVENT payload must be an array starting with the event name");
            }
            String name = p.getText();
            int afterName = (int) p.currentLocation().getCharOffset();
            int depth = 1;
            while (depth > 0) {
                JsonToken t = p.nextToken();
                if (t == null) {
                    throw new Malformed("truncated EVENT payload");
                }
                if (t.isStructStart()) {
                    depth++;
                } else if (t.isStructEnd()) {
                    depth--;
                }
            }
            int end = (int) p.currentLocation().getCharOffset(); // just after the closing ]
            if (p.nextToken() != null) {
                throw new Malformed("trailing content");
            }
            String rest = payload.substring(afterName, end - 1).trim(); // ",a,b" or ""
            String args = rest.startsWith(",") ? rest.substring(1) : rest;
            return new String[] {name, args};
        } catch (JsonProcessingException e) {
            throw new Malformed("malformed JSON");
        } catch (IOException e) {
            throw new Malformed("unreadable");
        }
    }

    private static boolean isArray(String payload) throws Malformed {
        try (JsonParser p = JSON.createParser(payload)) {
            if (p.nextToken() != JsonToken.START_ARRAY) {
                return false;
            }
            p.skipChildren();
            return p.nextToken() == null;
        } catch (IOException e) {
            throw new Malformed("malformed JSON");
        }
    }
}
