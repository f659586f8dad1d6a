package io.herald.broker.redis;

import io.herald.broker.Broker;
import io.herald.broker.history.History;
import io.herald.hub.Envelope;
import io.herald.hub.Topic;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * §11 in Redis, the instance's side: the position a message of {@code herald_publish} begins with (and nothing that
 * merely looks like one), and what the instance does with positioned messages: the next one is delivered, one already
 * delivered is dropped, another epoch resyncs the topic first, and a gap it cannot read resyncs too. The Redis side
 * (the function library, catch-up from a real history) is {@code RedisRecoveryE2ETest}'s.
 */
class RedisHistoryTest {
    final List<String> out = new ArrayList<>();
    final Broker.Listener listener = new Broker.Listener() {
        @Override
        public void onPublication(Envelope e) {
            out.add("event " + e.offset());
        }

        @Override
        public void onRecovered(Set<String> topics) {
            out.add("force_sync " + topics);
        }
    };
    final RedisHistory history = new RedisHistory("herald:", 10, Duration.ofMinutes(1), false, () -> null);

    static RedisHistory.Positioned position(String body) {
        return RedisHistory.positionOf(body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aPositionedMessageBeginsWithOffsetAndEpoch() {
        String body = "{\"offset\":42,\"epoch\":\"6b0f12b116d95\",\"topic\":\"share:s1\",\"event_type\":\"x\"}";
        RedisHistory.Positioned p = position(body);
        assertEquals(new History.Position("6b0f12b116d95", 42), p.position());
        assertEquals("\"topic\"", body.substring(p.envelopeAt(), p.envelopeAt() + 7), "the envelope goes on there");
    }

    @Test
    void anythingElseHasNoPosition() {
        for (String body : List.of(
                "{\"topic\":\"share:s1\",\"event_type\":\"x\",\"offset\":3}", // a backend's own field: not ours
                "{\"offset\":\"3\",\"epoch\":\"e\",\"topic\":\"share:s1\"}",
                "{\"offset\":3,\"epoch\":\"e\"}",
                "{\"offset\":3,\"epoch\":\"\",\"topic\":\"share:s1\",\"event_type\":\"x\"}",
                "{\"offset\":99999999999999999999,\"epoch\":\"e\",\"topic\":\"share:s1\"}",
                "{\"offset\":3,\"epoch\":\"" + "e".repeat(100) + "\",\"topic\":\"share:s1\"}",
                "{\"offset\":",
                "")) {
            assertNull(position(body), body);
        }
    }

    static Envelope at(String epoch, long offset) {
        return new Envelope(Topic.share("s1"), "x", null, "s1", null).at(epoch, offset);
    }

    @Test
    void theNextOffsetIsDeliveredAndOneAlreadyDeliveredIsDropped() {
        history.listen("share:s1");
        history.received("share:s1", at("e", 1), listener);
        history.received("share:s1", at("e", 2), listener);
        history.received("share:s1", at("e", 2), listener);
        assertEquals(List.of("event 1", "event 2"), out);
        assertEquals(new History.Position("e", 2), history.latest("share:s1"));
    }

    @Test
    void aNewEpochFromItsStartGoesOnWithoutResync() {
        history.listen("share:s1");
        history.received("share:s1", at("e", 5), listener);
        history.received("share:s1", at("f", 1), listener); // the history expired idle and started over
        assertEquals(List.of("event 5", "event 1"), out, "nothing was missed: no force_sync");
        assertEquals(new History.Position("f", 1), history.latest("share:s1"));
    }

    @Test
    void aGapTheHistoryCannotFillResyncsThenGoesOn() {
        history.listen("share:s1");
        history.received("share:s1", at("e", 1), listener);
        history.received("share:s1", at("e", 4), listener); // 2 and 3 missed; Redis cannot be asked here
        assertEquals(List.of("event 1", "force_sync [share:s1]", "event 4"), out);
        out.clear();
        history.received("share:s1", at("f", 3), listener); // a new epoch joined late: its 1 and 2 went by
        assertEquals(List.of("force_sync [share:s1]", "event 3"), out);
    }

    @Test
    void aTopicNotListenedToIsHandedOnAsItIs() {
        history.received("share:s1", at("e", 3), listener);
        assertEquals(List.of("event 3"), out);
        assertNull(history.latest("share:s1"));
    }

    @Test
    void theLibraryHasThisConfigurationsSettings() {
        String lua = RedisHistory.source("it's:", 10, Duration.ofSeconds(5), true);
        assertTrue(lua.contains("local PUBLISH = 'SPUBLISH'"));
        assertTrue(lua.contains("local PREFIX = 'it\\'s:'"), "the prefix, quoted for Lua");
        assertTrue(lua.contains("local SIZE = 10 "));
        assertTrue(lua.contains("local TTL = 5000 "));
    }

    @Test
    void aBrokerOutageResyncsTopicsWithoutAPositionOrWithPlainPublishes() {
        history.listen("share:s1");
        history.listen("share:s2");
        history.received("share:s1", at("e", 1), listener);
        history.receivedUnpositioned("share:s1"); // a backend's own PUBLISH: not in the history
        out.clear();
        history.resume(java.util.Set.of("share:s1", "share:s2"), listener);
        assertEquals(1, out.size(), out.toString());
        assertTrue(out.get(0).startsWith("force_sync"), out.toString());
        assertTrue(out.get(0).contains("share:s1") && out.get(0).contains("share:s2"),
                "s1 carried plain publishes, s2 has no position: both resync");
    }
}
