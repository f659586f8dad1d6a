package io.herald.bench;

import java.nio.charset.StandardCharsets;

/**
 * The §3 envelopes the benchmarks feed Herald: a {@code data} object padded to an exact size, so that a
 * {@code payload} parameter means the bytes a subscriber's frame carries as {@code data}.
 */
public final class Payloads {
    /** The share every benchmark publishes to. */
    public static final String TOPIC = "share:bench";

    private Payloads() {
    }

    /** A JSON object of exactly {@code bytes} bytes (at least 20): {@code {"id":"f1","pad":"xx…"}}. */
    public static String data(int bytes) {
        String head = "{\"id\":\"f1\",\"pad\":\"";
        String tail = "\"}";
        int pad = bytes - head.length() - tail.length();
        if (pad < 0) {
            throw new IllegalArgumentException("payload smaller than " + (head.length() + tail.length()) + " bytes");
        }
        return head + "x".repeat(pad) + tail;
    }

    /** One envelope on {@link #TOPIC}. */
    public static String envelope(String eventType, int dataBytes) {
        return "{\"topic\":\"" + TOPIC + "\",\"event_type\":\"" + eventType + "\",\"data\":" + data(dataBytes) + "}";
    }

    /** A batch {@code {"events":[...]}} of {@code events} copies of {@link #envelope}. */
    public static String batch(String eventType, int dataBytes, int events) {
        StringBuilder b = new StringBuilder("{\"events\":[");
        String one = envelope(eventType, dataBytes);
        for (int i = 0; i < events; i++) {
            b.append(i == 0 ? "" : ",").append(one);
        }
        return b.append("]}").toString();
    }

    public static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
