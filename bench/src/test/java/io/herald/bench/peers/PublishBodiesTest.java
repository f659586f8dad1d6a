package io.herald.bench.peers;

import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The peers read Herald's publish bodies and render Herald's realtime frame shape. */
class PublishBodiesTest {

    @Test
    void singleEnvelopeKeepsDataRawAndDefaultsShareId() throws Exception {
        List<PeerEvent> events = PublishBodies.parse(utf8(
                "{\"topic\":\"share:s1\",\"event_type\":\"file_created\",\"data\":{\"id\": \"f1\"},\"x\":[1]}"));
        assertEquals(1, events.size());
        PeerEvent e = events.get(0);
        assertEquals("share:s1", e.topic());
        assertEquals("file_created", e.eventType());
        assertEquals("s1", e.shareId());
        assertEquals("{\"id\": \"f1\"}", new String(e.data(), StandardCharsets.UTF_8));

        ByteBuf frame = BareNettyPeer.realtimeFrame(e);
        try {
            assertEquals("{\"type\":\"file_created\",\"share_id\":\"s1\",\"data\":{\"id\": \"f1\"}}",
                    frame.toString(StandardCharsets.UTF_8));
        } finally {
            frame.release();
        }
    }

    @Test
    void batchAndErrors() throws Exception {
        List<PeerEvent> events = PublishBodies.parse(utf8(
                "{\"events\":[{\"topic\":\"room-1\",\"event_type\":\"a\",\"data\":7},{\"topic\":\"room-2\",\"event_type\":\"b\"}]}"));
        assertEquals(2, events.size());
        assertEquals("7", new String(events.get(0).data(), StandardCharsets.UTF_8));
        assertNull(events.get(1).data());
        assertNull(events.get(1).shareId());
        assertThrows(PublishBodies.BadBody.class, () -> PublishBodies.parse(utf8("{\"topic\":\"t\"}")));
        assertThrows(PublishBodies.BadBody.class, () -> PublishBodies.parse(utf8("{\"events\":[]}")));
        assertThrows(PublishBodies.BadBody.class, () -> PublishBodies.parse(utf8("[1]")));
        assertThrows(PublishBodies.BadBody.class, () -> PublishBodies.parse(utf8("{\"topic\":")));
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
