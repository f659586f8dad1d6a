package io.herald.protocol.realtime;

import io.herald.hub.Envelope;
import io.herald.hub.Topic;
import io.herald.testing.EmbeddedConnection;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** §5 realtime dialect router on an EmbeddedChannel, and its rendering. */
class RealtimeDialectTest {
    final RealtimeDialect dialect = new RealtimeDialect(EmbeddedConnection.CLOCK);

    EmbeddedConnection open(String user, String... shares) {
        return new EmbeddedConnection(dialect, EmbeddedConnection.principal(user, Set.of(shares), Set.of()), null);
    }

    @Test
    void greetsAndListensToTheUserAndBroadcast() {
        try (EmbeddedConnection c = open("alice")) {
            assertEquals(List.of("{\"type\":\"connected\",\"user_id\":\"alice\",\"timestamp\":\"2026-11-22T10:00:00.000Z\"}"),
                    c.texts());
            assertTrue(c.connection.isSubscribed(Topic.user("alice")));
            assertTrue(c.connection.isSubscribed(Topic.BROADCAST));
        }
    }

    @Test
    void subscribeForbiddenUnsubscribeAndPing() {
        try (EmbeddedConnection c = open("alice", "s1")) {
            c.texts();
            c.send("{\"action\":\"subscribe\",\"share_id\":\"s1\"}");
            c.send("{\"action\":\"subscribe\",\"share_id\":\"s2\"}");
            c.send("{\"action\":\"ping\"}");
            c.send("{\"action\":\"unsubscribe\",\"share_id\":\"s1\"}");
            List<String> out = c.texts();
            assertEquals("{\"type\":\"subscribed\",\"share_id\":\"s1\"}", out.get(0));
            assertTrue(out.get(1).startsWith("{\"type\":\"error\",\"code\":\"forbidden\",\"share_id\":\"s2\",\"message\":"), out.get(1));
            assertEquals("{\"type\":\"pong\"}", out.get(2));
            assertEquals("{\"type\":\"unsubscribed\",\"share_id\":\"s1\"}", out.get(3));
            assertFalse(c.connection.isSubscribed(Topic.share("s1")));
            assertFalse(c.connection.isSubscribed(Topic.share("s2")));
        }
    }

    @Test
    void invalidRequestsDoNotClose() {
        try (EmbeddedConnection c = open("alice", "s1")) {
            c.texts();
            c.send("nope");
            c.send("{\"action\":\"fly\"}");
            c.send("{\"action\":\"unsubscribe\"}");
            List<String> errors = c.texts();
            assertEquals(3, errors.size(), "one error per bad command");
            for (String err : errors) {
                assertTrue(err.startsWith("{\"type\":\"error\",\"code\":\"invalid_request\""), err);
            }
            assertTrue(c.channel.isActive());
        }
    }

    @Test
    void deliversShareUserAndBroadcastEventsThroughTheHub() {
        try (EmbeddedConnection c = open("alice", "s1")) {
            c.send("{\"action\":\"subscribe\",\"share_id\":\"s1\"}");
            c.texts();
            c.hub.publish(new Envelope(Topic.share("s1"), "file_deleted", bytes("{\"file_id\":\"f\"}"), "s1", null));
            c.hub.publish(new Envelope(Topic.user("alice"), "hello", null, null, null));
            c.hub.publish(new Envelope(Topic.user("bob"), "not-for-alice", null, null, null));
            c.hub.publish(new Envelope(Topic.BROADCAST, "all", bytes("true"), null, null));
            assertEquals(List.of("{\"type\":\"file_deleted\",\"share_id\":\"s1\",\"data\":{\"file_id\":\"f\"}}",
                    "{\"type\":\"hello\"}", "{\"type\":\"all\",\"data\":true}"), c.texts());
        }
    }

    @Test
    void rendering() {
        assertEquals("{\"type\":\"folder_created\",\"share_id\":\"s1\",\"data\":{\"a\" : 1}}",
                render(new Envelope(Topic.share("s1"), "folder_created", bytes("{\"a\" : 1}"), "s1", null)));
        assertEquals("{\"type\":\"q\\\"uote\"}", render(new Envelope(Topic.BROADCAST, "q\"uote", null, null, null)));
        for (String sync : new String[] {"change", "sync_preference_updated", "force_sync"}) {
            assertNull(dialect.render(new Envelope(Topic.share("s1"), sync, null, "s1", null), ByteBufAllocator.DEFAULT));
        }
        assertNull(dialect.render(new Envelope(Topic.device("d"), "x", null, null, "d"), ByteBufAllocator.DEFAULT));
        assertNull(dialect.render(new Envelope(Topic.channel("c"), "x", null, null, null), ByteBufAllocator.DEFAULT));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private String render(Envelope e) {
        ByteBuf f = dialect.render(e, ByteBufAllocator.DEFAULT);
        try {
            return EmbeddedConnection.payload(f);
        } finally {
            f.release();
        }
    }

    @Test
    void aShareIdOverOneHundredTwentyEightCharactersIsNeverEchoed() {
        // §8.3: the forbidden error would repeat share_id; past 128 characters it is invalid_request without it.
        try (EmbeddedConnection c = open("alice", "s1")) {
            c.texts();
            String id = "s".repeat(129);
            c.send("{\"action\":\"subscribe\",\"share_id\":\"" + id + "\"}");
            c.send("{\"action\":\"unsubscribe\",\"share_id\":\"" + id + "\"}");
            String error = "{\"type\":\"error\",\"code\":\"invalid_request\",\"message\":\"share_id too long\"}";
            assertEquals(List.of(error, error), c.texts());
        }
    }

    /**
     * §11's seam: a resume whose replay already holds an event that the hub had queued for this loop delivers it
     * once, in order, and later events live.
     */
    @Test
    void aReplayAndTheEventsTheHubQueuedMeetWithoutDuplicates() {
        io.herald.broker.history.InMemoryHistory history = new io.herald.broker.history.InMemoryHistory(
                100, java.time.Duration.ofMinutes(2), 1 << 20, java.time.Clock.systemUTC());
        RealtimeDialect withHistory = new RealtimeDialect(EmbeddedConnection.CLOCK, history);
        try (EmbeddedConnection c = new EmbeddedConnection(withHistory,
                EmbeddedConnection.principal("alice", Set.of("s1"), Set.of()), null)) {
            c.texts();
            c.send("{\"action\":\"subscribe\",\"share_id\":\"s1\"}");
            String epoch = history.positionNow("share:s1").epoch();
            assertEquals(List.of("{\"type\":\"subscribed\",\"share_id\":\"s1\",\"epoch\":\"" + epoch + "\",\"offset\":0}"),
                    c.texts());
            for (int n = 1; n <= 3; n++) {
                history.append(new Envelope(Topic.share("s1"), "e" + n, null, "s1", null), c.hub::publish);
            }
            c.channel.runPendingTasks();
            assertEquals(3, c.texts().size());
            // event 4 is appended and its delivery queued on the loop, but not run before the resume is handled
            history.append(new Envelope(Topic.share("s1"), "e4", null, "s1", null), c.hub::publish);
            c.channel.writeInbound(new io.netty.handler.codec.http.websocketx.TextWebSocketFrame(
                    "{\"action\":\"subscribe\",\"share_id\":\"s1\",\"since\":{\"epoch\":\"" + epoch + "\",\"offset\":2}}"));
            history.append(new Envelope(Topic.share("s1"), "e5", null, "s1", null), c.hub::publish);
            assertEquals(List.of(
                    "{\"type\":\"subscribed\",\"share_id\":\"s1\",\"epoch\":\"" + epoch + "\",\"offset\":2,\"recovered\":true}",
                    "{\"type\":\"e3\",\"share_id\":\"s1\",\"offset\":3}",
                    "{\"type\":\"e4\",\"share_id\":\"s1\",\"offset\":4}",
                    "{\"type\":\"e5\",\"share_id\":\"s1\",\"offset\":5}"), c.texts(), "e4 once, though queued twice");
        }
    }

    /** Asking again for a live subscription keeps the events already on their way (§11: none lost). */
    @Test
    void subscribingAgainToALiveShareDropsNothingInFlight() {
        io.herald.broker.history.InMemoryHistory history = new io.herald.broker.history.InMemoryHistory(
                100, java.time.Duration.ofMinutes(2), 1 << 20, java.time.Clock.systemUTC());
        try (EmbeddedConnection c = new EmbeddedConnection(new RealtimeDialect(EmbeddedConnection.CLOCK, history),
                EmbeddedConnection.principal("alice", Set.of("s1"), Set.of()), null)) {
            c.texts();
            c.send("{\"action\":\"subscribe\",\"share_id\":\"s1\"}");
            c.texts();
            history.append(new Envelope(Topic.share("s1"), "e1", null, "s1", null), c.hub::publish); // queued, not run
            c.send("{\"action\":\"subscribe\",\"share_id\":\"s1\"}");
            List<String> out = c.texts();
            assertEquals(2, out.size(), out.toString());
            assertTrue(out.get(0).contains("\"type\":\"subscribed\""), out.get(0));
            assertEquals("{\"type\":\"e1\",\"share_id\":\"s1\",\"offset\":1}", out.get(1));
        }
    }
}
