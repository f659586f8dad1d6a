package io.herald.client;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The exact client frames of §4, §5 and §6. */
class DialectCommandsTest {
    @Test
    void pingsOfEachDialect() {
        assertEquals("{\"type\":\"ping\"}", new SyncDialect("d1").ping());
        assertEquals("{\"action\":\"ping\"}", new RealtimeDialect().ping());
        assertEquals("{\"type\":\"ping\",\"data\":{}}", new ChannelsDialect().ping());
    }

    @Test
    void paths() {
        assertEquals("/api/v1/sync/ws/d1", new SyncDialect("d1").path());
        assertEquals("/api/v1/realtime/ws", new RealtimeDialect().path());
        assertEquals("/ws", new ChannelsDialect().path());
    }

    @Test
    void commands() {
        assertEquals("{\"type\":\"subscribe\"}", SyncDialect.SUBSCRIBE);
        assertEquals("{\"action\":\"subscribe\",\"share_id\":\"s1\"}", RealtimeDialect.subscribe("s1"));
        assertEquals("{\"action\":\"unsubscribe\",\"share_id\":\"s1\"}", RealtimeDialect.unsubscribe("s1"));
        assertEquals("{\"type\":\"subscribe\",\"id\":3,\"data\":{\"channel\":\"conversation:conv-123\"}}",
                ChannelsDialect.subscribe(3, "conversation:conv-123"));
        assertEquals("{\"type\":\"unsubscribe\",\"id\":4,\"data\":{\"channel\":\"c\"}}", ChannelsDialect.unsubscribe(4, "c"));
        assertEquals("{\"type\":\"refresh\",\"id\":5,\"data\":{\"token\":\"a.b\\\"c\"}}", ChannelsDialect.refresh(5, "a.b\"c"));
    }

    /** §11: resumes carry since, in each dialect's place for it. */
    @Test
    void resumes() {
        Position at = new Position("E1", 41);
        assertEquals("{\"action\":\"subscribe\",\"share_id\":\"s1\",\"since\":{\"epoch\":\"E1\",\"offset\":41}}",
                RealtimeDialect.subscribe("s1", at));
        assertEquals("{\"type\":\"subscribe\",\"id\":3,\"data\":{\"channel\":\"c\",\"since\":{\"epoch\":\"E1\",\"offset\":41}}}",
                ChannelsDialect.subscribe(3, "c", at));
        assertEquals("{\"type\":\"subscribe\",\"since\":{\"s1\":{\"epoch\":\"E1\",\"offset\":41}}}",
                SyncDialect.subscribe(java.util.Map.of("s1", at)));
        assertEquals(SyncDialect.SUBSCRIBE, SyncDialect.subscribe(java.util.Map.of()), "nothing to resume: a plain subscribe");
        assertEquals(RealtimeDialect.subscribe("s1"), RealtimeDialect.subscribe("s1", null));
    }

    @Test
    void idsFollowSection3() {
        assertEquals("a-Z_0.9:@~", HeraldClient.requireValidId("a-Z_0.9:@~", "id"));
        HeraldClient.requireValidId("x".repeat(200), "id");
        assertThrows(IllegalArgumentException.class, () -> HeraldClient.requireValidId("x".repeat(201), "id"));
        assertThrows(IllegalArgumentException.class, () -> HeraldClient.requireValidId("", "id"));
        assertThrows(IllegalArgumentException.class, () -> HeraldClient.requireValidId(null, "id"));
        assertThrows(IllegalArgumentException.class, () -> HeraldClient.requireValidId("a b", "id"));
        assertThrows(IllegalArgumentException.class, () -> HeraldClient.requireValidId("a\"b", "id"));
    }
}
