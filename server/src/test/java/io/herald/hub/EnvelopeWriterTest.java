package io.herald.hub;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** What the Redis broker puts on a channel is the §3 envelope, and parses back to the same event. */
class EnvelopeWriterTest {
    private final EnvelopeParser parser = new EnvelopeParser();

    @Test
    void roundTripKeepsDataByteForByte() throws Exception {
        String data = "{\"name\":\"caf\u00e9 \\\"quoted\\\"\",\"n\":1.50,\"list\":[1,2]}";
        Envelope in = parser.parseOne(("{\"topic\":\"share:s1\",\"event_type\":\"file \\\"x\\\"\",\"data\":" + data
                + ",\"device_id\":\"d1\"}").getBytes(StandardCharsets.UTF_8));
        byte[] json = EnvelopeWriter.toJson(in);
        assertEquals("{\"topic\":\"share:s1\",\"event_type\":\"file \\\"x\\\"\",\"data\":" + data
                + ",\"share_id\":\"s1\",\"device_id\":\"d1\"}", new String(json, StandardCharsets.UTF_8));
        Envelope out = parser.parseOne(json);
        assertEquals(in.topic(), out.topic());
        assertEquals(in.eventType(), out.eventType());
        assertArrayEquals(in.data(), out.data());
        assertEquals(in.shareId(), out.shareId());
        assertEquals(in.deviceId(), out.deviceId());
    }

    @Test
    void withoutDataOrIds() throws Exception {
        Envelope in = parser.parseOne("{\"topic\":\"broadcast\",\"event_type\":\"hello\"}".getBytes(StandardCharsets.UTF_8));
        assertEquals("{\"topic\":\"broadcast\",\"event_type\":\"hello\"}", new String(EnvelopeWriter.toJson(in), StandardCharsets.UTF_8));
    }
}
