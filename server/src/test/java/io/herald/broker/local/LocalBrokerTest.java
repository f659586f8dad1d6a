package io.herald.broker.local;

import io.herald.broker.Broker;
import io.herald.broker.history.InMemoryHistory;
import io.herald.hub.Envelope;
import io.herald.hub.Topic;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The local broker with history (§11): events go out numbered, in offset order; and when a listened topic's history
 * is lost (evicted past the memory cap) its next event starts a new epoch, so its clients get {@code force_sync}
 * first rather than offsets of an epoch they cannot resume.
 */
class LocalBrokerTest {
    static final class StepClock extends Clock {
        long millis = 1_000_000;

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis++);
        }

        @Override
        public long millis() {
            return millis++;
        }
    }

    final List<String> out = new ArrayList<>();
    final Broker.Listener listener = new Broker.Listener() {
        @Override
        public void onPublication(Envelope e) {
            out.add(e.topic().name() + "@" + e.offset() + (e.epoch() == null ? "" : "/" + e.epoch()));
        }

        @Override
        public void onRecovered(Set<String> topics) {
            out.add("force_sync " + topics);
        }
    };

    static Envelope event(String share) {
        return new Envelope(Topic.share(share), "x", new byte[100], share, null);
    }

    @Test
    void eventsGoOutNumberedAndALostHistoryStartsANewEpochAtOne() {
        InMemoryHistory history = new InMemoryHistory(5, Duration.ofMinutes(2), 20_000, new StepClock());
        LocalBroker broker = new LocalBroker(history);
        broker.start(listener);
        broker.publish(event("kept"));
        broker.publish(event("kept"));
        String epoch = history.positionNow("share:kept").epoch();
        assertEquals(List.of("share:kept@1/" + epoch, "share:kept@2/" + epoch), out);
        for (int t = 0; t < 200; t++) {
            broker.publish(event("other" + t)); // past the cap: the least recently written topics lose their history
        }
        out.clear();
        broker.publish(event("kept"));
        String next = history.positionNow("share:kept").epoch();
        assertEquals(List.of("share:kept@1/" + next), out, "a new epoch, from 1: seams compare offsets within an epoch");
        org.junit.jupiter.api.Assertions.assertNotEquals(epoch, next);
    }
}
