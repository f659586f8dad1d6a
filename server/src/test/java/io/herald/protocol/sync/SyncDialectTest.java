package io.herald.protocol.sync;

import io.herald.hub.Envelope;
import io.herald.hub.Topic;
import io.herald.protocol.Disconnect;
import io.herald.testing.EmbeddedConnection;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** §4 sync dialect router on an EmbeddedChannel, and its rendering. */
class SyncDialectTest {
    final SyncDialect dialect = new SyncDialect();

    EmbeddedConnection device(String device, Set<String> shares, Set<String> devices) {
        return new EmbeddedConnection(dialect, EmbeddedConnection.principal("alice", shares, devices), device);
    }

    @Test
    void admitsOnlyARegisteredDevice() {
        try (EmbeddedConnection ok = device("d1", Set.of("s1"), Set.of("d1"));
             EmbeddedConnection other = device("d2", Set.of("s1"), Set.of("d1"));
             EmbeddedConnection bad = device("d 1", Set.of("s1"), Set.of("d 1"))) {
            assertNull(dialect.admit(ok.connection));
            assertEquals(Disconnect.DEVICE_NOT_REGISTERED, dialect.admit(other.connection));
            assertEquals(Disconnect.DEVICE_NOT_REGISTERED, dialect.admit(bad.connection));
        }
    }

    @Test
    void sendsNothingOnOpenAndSubscribesSharesAndDeviceOnSubscribe() {
        try (EmbeddedConnection c = device("d1", Set.of("s1"), Set.of("d1"))) {
            assertEquals(List.of(), c.texts());
            assertEquals(0, c.hub.subscriptionCount());
            c.send("{\"type\":\"subscribe\"}");
            assertEquals(List.of("{\"type\":\"subscribed\",\"shares\":[\"s1\"]}"), c.texts());
            assertTrue(c.connection.isSubscribed(Topic.share("s1")));
            assertTrue(c.connection.isSubscribed(Topic.device("d1")));
            assertEquals(2, c.hub.subscriptionCount());
        }
    }

    @Test
    void pingAndErrors() {
        try (EmbeddedConnection c = device("d1", Set.of(), Set.of("d1"))) {
            c.send("{\"type\":\"ping\"}");
            c.send("{\"type\":\"nope\"}");
            c.send("{}");
            c.send("}{");
            List<String> out = c.texts();
            assertEquals("{\"type\":\"pong\"}", out.get(0));
            for (String err : out.subList(1, 4)) {
                assertTrue(err.startsWith("{\"type\":\"error\",\"code\":\"invalid_request\""), err);
            }
        }
    }

    @Test
    void deliversPublishedNudgesThroughTheHub() {
        try (EmbeddedConnection c = device("d1", Set.of("s1"), Set.of("d1"))) {
            c.send("{\"type\":\"subscribe\"}");
            c.texts();
            c.hub.publish(new Envelope(Topic.share("s1"), "change", "[1, 2]".getBytes(StandardCharsets.UTF_8), "s1", null));
            c.hub.publish(new Envelope(Topic.share("s1"), "file_created", null, "s1", null));
            c.hub.publish(new Envelope(Topic.device("d1"), "force_sync", null, null, "d1"));
            assertEquals(List.of("{\"event_type\":\"change\",\"share_id\":\"s1\",\"data\":[1, 2]}",
                    "{\"event_type\":\"force_sync\"}"), c.texts());
        }
    }

    @Test
    void rendersOnlyTheThreeSyncTypes() {
        ByteBufAllocator a = ByteBufAllocator.DEFAULT;
        assertEquals("{\"event_type\":\"sync_preference_updated\",\"share_id\":\"s1\",\"device_id\":\"d1\"}",
                render(new Envelope(Topic.device("d1"), "sync_preference_updated", null, "s1", "d1")));
        assertEquals("{\"event_type\":\"force_sync\",\"share_id\":\"s1\"}",
                render(new Envelope(Topic.share("s1"), "force_sync", null, "s1", null)));
        assertNull(dialect.render(new Envelope(Topic.share("s1"), "file_created", null, "s1", null), a));
        assertNull(dialect.render(new Envelope(Topic.device("d1"), "change", null, null, "d1"), a));
        assertNull(dialect.render(new Envelope(Topic.user("u"), "change", null, null, null), a));
        assertNull(dialect.render(new Envelope(Topic.BROADCAST, "force_sync", null, null, null), a));
    }

    private String render(Envelope e) {
        ByteBuf f = dialect.render(e, ByteBufAllocator.DEFAULT);
        try {
            return EmbeddedConnection.payload(f);
        } finally {
            f.release();
        }
    }
}
