package io.herald.protocol.socketio;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import org.msgpack.core.MessageFormat;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.ValueType;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * One broadcast a Socket.IO app published through {@code @socket.io/redis-adapter} or {@code @socket.io/redis-emitter}
 * (§12), decoded: the namespace, the rooms (empty: everyone), the {@code except} rooms, and the Socket.IO packet's
 * {@code data} ({@code ["event", ...args]}) as JSON text, ready to follow {@code 42}.
 *
 * <p>Two wire forms (read from the adapter 8.3.0 and emitter 5.1.0 sources and checked against captured traffic):
 * <ul>
 *   <li>classic adapter and emitter: messagepack (notepack.io) {@code [uid, {type:2, data:[...], nsp}, {rooms, except,
 *   flags}]};</li>
 *   <li>sharded adapter: {@code {type:3, data:{packet:{type:2, data:[...]}, opts:{rooms, except, flags}, requestId?},
 *   uid, nsp}}, as JSON text, or as messagepack when the data holds binary.</li>
 * </ul>
 * Decoded with msgpack-core and jackson-core: no hand-written messagepack reader. A packet that is not an EVENT, holds
 * binary (Herald's Socket.IO frames are text), or asks for acknowledgements is not delivered ({@link #decode} returns
 * null): the acks would wait for an answer Herald never gives.
 */
public record AdapterBroadcast(String namespace, List<String> rooms, List<String> except, byte[] data) {

    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build()).build();
    /** Nesting beyond this in a messagepack payload is refused, as the JSON paths refuse it. */
    private static final int MAX_DEPTH = 64;
    private static final int EVENT = 2;
    private static final int SHARDED_BROADCAST = 3;

    /** Thrown for a message that is not one this reader understands; the ingress counts and drops it. */
    public static final class Unreadable extends Exception {
        Unreadable(String why) {
            super(why, null, false, false);
        }
    }

    /** The broadcast in {@code message}, or null for a well-formed message Herald does not deliver. */
    public static AdapterBroadcast decode(byte[] message) throws Unreadable {
        if (message.length == 0) {
            throw new Unreadable("empty");
        }
        try {
            return message[0] == '{' ? fromJson(message) : fromMsgpack(message);
        } catch (IOException | RuntimeException e) {
            throw new Unreadable(e.getClass().getSimpleName());
        }
    }

    // --- messagepack: classic [uid, packet, opts], or a sharded envelope with binary ---

    private static AdapterBroadcast fromMsgpack(byte[] message) throws IOException, Unreadable {
        try (MessageUnpacker u = MessagePack.newDefaultUnpacker(message)) {
            MessageFormat f = u.getNextFormat();
            if (f.getValueType() == ValueType.ARRAY) {
                int n = u.unpackArrayHeader();
                if (n != 3) {
                    throw new Unreadable("not [uid, packet, opts]");
                }
                u.skipValue(); // uid: Herald publishes nothing on these channels, so none is its own
                Packet packet = packet(u);
                Opts opts = opts(u);
                return packet == null || opts == null ? null : new AdapterBroadcast(packet.nsp, opts.rooms, opts.except, packet.data);
            }
            if (f.getValueType() == ValueType.MAP) {
                return shardedMsgpack(u);
            }
            throw new Unreadable("neither an array nor a map");
        }
    }

    private record Packet(String nsp, byte[] data) {
    }

    private record Opts(List<String> rooms, List<String> except) {
    }

    /** A packet map; null when it is not a text EVENT. */
    private static Packet packet(MessageUnpacker u) throws IOException, Unreadable {
        int n = mapHeader(u, "packet");
        Integer type = null;
        String nsp = "/";
        byte[] data = null;
        boolean binary = false;
        for (int i = 0; i < n; i++) {
            String key = u.unpackString();
            switch (key) {
                case "type" -> type = u.unpackInt();
                case "nsp" -> nsp = u.unpackString();
                case "data" -> {
                    ByteArrayOutputStream out = new ByteArrayOutputStream(128);
                    try (JsonGenerator g = JSON.createGenerator(out)) {
                        binary = !json(u, g, 0);
                    }
                    data = out.toByteArray();
                }
                default -> u.skipValue();
            }
        }
        return type == null || type != EVENT || binary || !isEventData(data) ? null : new Packet(nsp, data);
    }

    /** {@code {rooms, except, flags}}; null when it asks for acknowledgements ({@code flags.timeout}). */
    private static Opts opts(MessageUnpacker u) throws IOException, Unreadable {
        int n = mapHeader(u, "opts");
        List<String> rooms = List.of();
        List<String> except = List.of();
        boolean acks = false;
        for (int i = 0; i < n; i++) {
            String key = u.unpackString();
            switch (key) {
                case "rooms" -> rooms = roomList(u);
                case "except" -> except = roomList(u);
                case "flags" -> {
                    int m = mapHeaderOrSkip(u);
                    for (int j = 0; j < m; j++) {
                        String flag = u.unpackString();
                        acks |= "timeout".equals(flag);
                        u.skipValue();
                    }
                }
                default -> u.skipValue();
            }
        }
        return acks ? null : new Opts(rooms, except);
    }

    /** The size of the map that comes next; a {@code what} that is not a map is unreadable. */
    private static int mapHeader(MessageUnpacker u, String what) throws IOException, Unreadable {
        if (u.getNextFormat().getValueType() != ValueType.MAP) {
            throw new Unreadable(what + " is not a map");
        }
        return u.unpackMapHeader();
    }

    /** The size of the map that comes next, or 0 after skipping a value that is not a map. */
    private static int mapHeaderOrSkip(MessageUnpacker u) throws IOException {
        if (u.getNextFormat().getValueType() != ValueType.MAP) {
            u.skipValue();
            return 0;
        }
        return u.unpackMapHeader();
    }

    /** Rooms are strings, or numbers when the app used numeric room names. */
    private static List<String> roomList(MessageUnpacker u) throws IOException, Unreadable {
        if (u.getNextFormat().getValueType() != ValueType.ARRAY) {
            throw new Unreadable("rooms is not an array");
        }
        int n = u.unpackArrayHeader();
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ValueType t = u.getNextFormat().getValueType();
            if (t == ValueType.STRING) {
                out.add(u.unpackString());
            } else if (t == ValueType.INTEGER) {
                out.add(Long.toString(u.unpackLong()));
            } else {
                u.skipValue();
            }
        }
        return out;
    }

    private static AdapterBroadcast shardedMsgpack(MessageUnpacker u) throws IOException, Unreadable {
        int n = u.unpackMapHeader();
        Integer type = null;
        String nsp = "/";
        Packet packet = null;
        Opts opts = null;
        boolean request = false;
        for (int i = 0; i < n; i++) {
            String key = u.unpackString();
            switch (key) {
                case "type" -> type = u.unpackInt();
                case "nsp" -> nsp = u.unpackString();
                case "data" -> {
                    int m = mapHeaderOrSkip(u);
                    for (int j = 0; j < m; j++) {
                        String k = u.unpackString();
                        switch (k) {
                            case "packet" -> packet = packet(u);
                            case "opts" -> opts = opts(u);
                            case "requestId" -> {
                                request = true;
                                u.skipValue();
                            }
                            default -> u.skipValue();
                        }
                    }
                }
                default -> u.skipValue();
            }
        }
        if (type == null || type != SHARDED_BROADCAST || request || packet == null || opts == null) {
            return null;
        }
        return new AdapterBroadcast(nsp, opts.rooms, opts.except, packet.data);
    }

    /**
     * Writes the next messagepack value as JSON, as {@code JSON.stringify} would have written the JS value notepack.io
     * encoded: a Date (timestamp extension) as its ISO string, other extensions and non-finite floats as null.
     *
     * @return false when the value holds binary, which a text frame cannot carry
     */
    private static boolean json(MessageUnpacker u, JsonGenerator g, int depth) throws IOException, Unreadable {
        if (depth > MAX_DEPTH) {
            throw new Unreadable("nested too deeply");
        }
        MessageFormat f = u.getNextFormat();
        switch (f.getValueType()) {
            case NIL -> {
                u.unpackNil();
                g.writeNull();
            }
            case BOOLEAN -> g.writeBoolean(u.unpackBoolean());
            case INTEGER -> {
                if (f == MessageFormat.UINT64) {
                    g.writeNumber(u.unpackBigInteger());
                } else {
                    g.writeNumber(u.unpackLong());
                }
            }
            case FLOAT -> {
                double d = u.unpackDouble();
                if (Double.isFinite(d)) {
                    g.writeNumber(d);
                } else {
                    g.writeNull();
                }
            }
            case STRING -> g.writeString(u.unpackString());
            case BINARY -> {
                u.skipValue();
                return false;
            }
            case ARRAY -> {
                int n = u.unpackArrayHeader();
                g.writeStartArray();
                boolean text = true;
                for (int i = 0; i < n; i++) {
                    text &= json(u, g, depth + 1);
                }
                g.writeEndArray();
                return text;
            }
            case MAP -> {
                int n = u.unpackMapHeader();
                g.writeStartObject();
                boolean text = true;
                for (int i = 0; i < n; i++) {
                    MessageFormat kf = u.getNextFormat();
                    if (kf.getValueType() == ValueType.STRING) {
                        g.writeFieldName(u.unpackString());
                    } else if (kf.getValueType() == ValueType.INTEGER) {
                        g.writeFieldName(Long.toString(u.unpackLong()));
                    } else {
                        throw new Unreadable("a map key that is not a string");
                    }
                    text &= json(u, g, depth + 1);
                }
                g.writeEndObject();
                return text;
            }
            case EXTENSION -> {
                org.msgpack.core.ExtensionTypeHeader h = u.unpackExtensionTypeHeader();
                if (h.getType() == -1) {
                    // notepack.io's Date: the ISO string JSON.stringify would have sent the clients
                    g.writeString(io.herald.protocol.Replies.timestamp(u.unpackTimestamp(h)));
                } else {
                    u.readPayload(h.getLength());
                    g.writeNull();
                }
            }
            default -> throw new Unreadable("unknown messagepack value");
        }
        return true;
    }

    private static boolean isEventData(byte[] data) {
        return data != null && data.length > 2 && data[0] == '[' && data[1] == '"';
    }

    // --- JSON: the sharded adapter without binary ---

    private static AdapterBroadcast fromJson(byte[] message) throws IOException, Unreadable {
        try (JsonParser p = JSON.createParser(message)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new Unreadable("not an object");
            }
            Integer type = null;
            String nsp = "/";
            Packet packet = null;
            Opts opts = null;
            boolean request = false;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                if ("type".equals(name) && t == JsonToken.VALUE_NUMBER_INT) {
                    type = p.getIntValue();
                } else if ("nsp".equals(name) && t == JsonToken.VALUE_STRING) {
                    nsp = p.getText();
                } else if ("data".equals(name) && t == JsonToken.START_OBJECT) {
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String k = p.currentName();
                        JsonToken v = p.nextToken();
                        switch (k) {
                            case "packet" -> packet = jsonPacket(p, v, message);
                            case "opts" -> opts = jsonOpts(p, v);
                            case "requestId" -> request = true;
                            default -> p.skipChildren();
                        }
                    }
                } else {
                    p.skipChildren();
                }
            }
            if (type == null || type != SHARDED_BROADCAST || request || packet == null || opts == null) {
                return null;
            }
            return new AdapterBroadcast(nsp, opts.rooms, opts.except, packet.data);
        }
    }

    /** {@code {type, data}} (the sharded form names the namespace outside); null when it is not an EVENT. */
    private static Packet jsonPacket(JsonParser p, JsonToken t, byte[] message) throws IOException {
        if (t != JsonToken.START_OBJECT) {
            p.skipChildren();
            return null;
        }
        boolean event = false;
        byte[] data = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String k = p.currentName();
            JsonToken v = p.nextToken();
            if ("type".equals(k)) {
                event = v == JsonToken.VALUE_NUMBER_INT && p.getIntValue() == EVENT;
            } else if ("data".equals(k) && v == JsonToken.START_ARRAY) {
                int from = (int) p.currentTokenLocation().getByteOffset();
                p.skipChildren();
                data = java.util.Arrays.copyOfRange(message, from, (int) p.currentLocation().getByteOffset());
            } else {
                p.skipChildren();
            }
        }
        return event && isEventData(data) ? new Packet("/", data) : null;
    }

    /** {@code {rooms, except, flags}}; null when it asks for acknowledgements ({@code flags.timeout}). */
    private static Opts jsonOpts(JsonParser p, JsonToken t) throws IOException, Unreadable {
        if (t != JsonToken.START_OBJECT) {
            p.skipChildren();
            return null;
        }
        List<String> rooms = List.of();
        List<String> except = List.of();
        boolean acks = false;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String k = p.currentName();
            JsonToken v = p.nextToken();
            if ("rooms".equals(k)) {
                rooms = jsonRooms(p, v);
            } else if ("except".equals(k)) {
                except = jsonRooms(p, v);
            } else if ("flags".equals(k) && v == JsonToken.START_OBJECT) {
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    acks |= "timeout".equals(p.currentName());
                    p.nextToken();
                    p.skipChildren();
                }
            } else {
                p.skipChildren();
            }
        }
        return acks ? null : new Opts(rooms, except);
    }

    private static List<String> jsonRooms(JsonParser p, JsonToken t) throws IOException, Unreadable {
        if (t != JsonToken.START_ARRAY) {
            throw new Unreadable("rooms is not an array");
        }
        List<String> out = new ArrayList<>();
        for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
            if (e == JsonToken.VALUE_STRING || e == JsonToken.VALUE_NUMBER_INT) {
                out.add(p.getText());
            } else {
                p.skipChildren();
            }
        }
        return out;
    }
}
