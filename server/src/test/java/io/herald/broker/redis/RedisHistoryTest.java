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

    static Object[] position(String body) {
        return RedisHistory.positionOf(body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aPositionedMessageBeginsWithOffsetAndEpoch() {
        String body = "{\"offset\":42,\"epoch\":\"6b0f12b116d95\",\"topic\":\"share:s1\",\"event_type\":\"x\"}";
        Object[] p = position(body);
        assertEquals(new History.Position("6b0f12b116d95", 42), p[0]);
        assertEquals("\"topic\"", body.substring((Integer) p[1], (Integer) p[1] + 7), "the envelope goes on there");
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

    static Envelope at(long offset) {
        return new Envelope(Topic.share("s1"), "x", null, "s1", null, offset);
    }

    @Test
    void theNextOffsetIsDeliveredAndOneAlreadyDeliveredIsDropped() {
        history.listen("share:s1");
        history.received("share:s1", at(1), "e", listener);
        history.received("share:s1", at(2), "e", listener);
        history.received("share:s1", at(2), "e", listener);
        assertEquals(List.of("event 1", "event 2"), out);
        assertEquals(new History.Position("e", 2), history.latest("share:s1"));
    }

    @Test
    void anotherEpochResyncsTheTopicBeforeItsEvent() {
        history.listen("share:s1");
        history.received("share:s1", at(5), "e", listener);
        history.received("share:s1", at(1), "f", listener);
        assertEquals(List.of("event 5", "force_sync [share:s1]", "event 1"), out);
        assertEquals(new History.Position("f", 1), history.latest("share:s1"));
    }

    @Test
    void aGapTheHistoryCannotFillResyncsThenGoesOn() {
        history.listen("share:s1");
        history.received("share:s1", at(1), "e", listener);
        history.received("share:s1", at(4), "e", listener); // 2 and 3 missed; Redis cannot be asked here
        assertEquals(List.of("event 1", "force_sync [share:s1]", "event 4"), out);
    }

    @Test
    void aTopicNotListenedToIsHandedOnAsItIs() {
        history.received("share:s1", at(3), "e", listener);
        assertEquals(List.of("event 3"), out);
        assertNull(history.latest("share:s1"));
        assertTrue(RedisHistory.source(10, Duration.ofSeconds(5), true).contains("local PUBLISH = 'SPUBLISH'"));
    }
}
