package io.herald.broker.history;

import io.herald.hub.Envelope;
import io.herald.hub.Topic;
import io.herald.testing.TestClock;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** §11's history in memory: positions, recovery, and the bounds (size, ttl, bytes) that keep it small. */
class InMemoryHistoryTest {

    final TestClock clock = new TestClock(Instant.ofEpochMilli(1_000_000));
    final InMemoryHistory history = new InMemoryHistory(5, Duration.ofMinutes(2), 1 << 20, clock);

    static Envelope event(String share, String type) {
        return new Envelope(Topic.share(share), type, "{\"x\":1}".getBytes(StandardCharsets.UTF_8), share, null);
    }

    static List<String> types(History.Recovery r) {
        return r.events().stream().map(e -> e.offset() + ":" + e.envelope().eventType()).toList();
    }

    @Test
    void offsetsCountATopicsEventsFromOneWithoutGapsInOneEpoch() {
        History.Position a = history.append(event("s1", "a"));
        History.Position b = history.append(event("s1", "b"));
        History.Position other = history.append(event("s2", "x"));
        assertEquals(1, a.offset());
        assertEquals(2, b.offset());
        assertEquals(a.epoch(), b.epoch());
        assertEquals(1, other.offset(), "each topic counts its own");
        assertNotEquals(a.epoch(), other.epoch());
        assertEquals(b, history.positionNow("share:s1"));
    }

    @Test
    void aResumeWithinTheHistoryGetsEveryMissedEventInOrder() {
        History.Position seen = history.append(event("s1", "a"));
        history.append(event("s1", "b"));
        history.append(event("s1", "c"));
        History.Recovery r = history.recoverNow("share:s1", seen);
        assertTrue(r.recovered());
        assertEquals(List.of("2:b", "3:c"), types(r));
        assertEquals(new History.Position(seen.epoch(), 3), r.position());
    }

    @Test
    void aPositionNamedBeforeTheFirstEventStaysTheTopics() {
        History.Position before = history.positionNow("share:quiet");
        assertEquals(0, before.offset());
        assertEquals(before, history.positionNow("share:quiet"), "the same epoch every time it is asked");
        history.append(event("quiet", "first"));
        History.Recovery r = history.recoverNow("share:quiet", before);
        assertTrue(r.recovered());
        assertEquals(List.of("1:first"), types(r));
    }

    @Test
    void aResumeAtTheCurrentPositionRecoversNothingMissed() {
        History.Position seen = history.append(event("s1", "a"));
        History.Recovery r = history.recoverNow("share:s1", seen);
        assertTrue(r.recovered());
        assertEquals(List.of(), r.events());
    }

    @Test
    void aGapPastTheKeptEventsIsNotRecovered() {
        History.Position seen = history.append(event("s1", "e1"));
        for (int i = 2; i <= 7; i++) {
            history.append(event("s1", "e" + i)); // 5 kept: 3..7; event 2 is gone
        }
        History.Recovery r = history.recoverNow("share:s1", seen);
        assertFalse(r.recovered());
        assertEquals(List.of(), r.events());
        assertEquals(7, r.position().offset(), "the current position, for the force_sync");
        History.Recovery justInside = history.recoverNow("share:s1", new History.Position(seen.epoch(), 2));
        assertTrue(justInside.recovered());
        assertEquals(List.of("3:e3", "4:e4", "5:e5", "6:e6", "7:e7"), types(justInside));
    }

    @Test
    void aForeignEpochOrAnOffsetFromTheFutureIsNotRecovered() {
        History.Position p = history.append(event("s1", "a"));
        assertFalse(history.recoverNow("share:s1", new History.Position("another", 1)).recovered());
        assertFalse(history.recoverNow("share:s1", new History.Position(p.epoch(), 9)).recovered());
        assertFalse(history.recoverNow("share:s1", new History.Position(p.epoch(), -1)).recovered());
        assertFalse(history.recoverNow("share:nothing", new History.Position(p.epoch(), 1)).recovered());
    }

    @Test
    void eventsOlderThanTheTtlAreNotRecoverable() {
        History.Position seen = history.append(event("s1", "a"));
        history.append(event("s1", "b"));
        clock.advance(Duration.ofSeconds(90));
        history.append(event("s1", "c"));
        clock.advance(Duration.ofSeconds(40)); // "b" is 130 s old, "c" 40 s
        assertFalse(history.recoverNow("share:s1", seen).recovered(), "b expired: the gap is not covered");
        History.Recovery r = history.recoverNow("share:s1", new History.Position(seen.epoch(), 2));
        assertTrue(r.recovered());
        assertEquals(List.of("3:c"), types(r));
    }

    @Test
    void aTopicIdlePastTheTtlLosesItsHistoryAndStartsANewEpoch() {
        History.Position old = history.append(event("s1", "a"));
        clock.advance(Duration.ofMinutes(3));
        History.Recovery r = history.recoverNow("share:s1", old);
        assertFalse(r.recovered());
        assertNotEquals(old.epoch(), r.position().epoch());
        assertEquals(0, r.position().offset());
        assertEquals(InMemoryHistory.TOPIC_OVERHEAD, history.bytes(), "only an empty log is left of it");
        History.Position next = history.append(event("s1", "b"));
        assertEquals(new History.Position(r.position().epoch(), 1), next, "the position just named goes on");
    }

    @Test
    void pastTheByteCapTheLeastRecentlyAppendedTopicsLoseTheirHistory() {
        InMemoryHistory small = new InMemoryHistory(100, Duration.ofMinutes(2), 20_000, clock);
        List<History.Position> firsts = new ArrayList<>();
        for (int t = 0; t < 200; t++) {
            clock.advance(Duration.ofMillis(1));
            firsts.add(small.append(event("t" + t, "e")));
        }
        assertTrue(small.bytes() <= 20_000, small.bytes() + " bytes");
        assertTrue(small.topicCount() < 200);
        assertFalse(small.recoverNow("share:t0", firsts.get(0)).recovered(), "the oldest topic lost its history");
        History.Position newest = firsts.get(199);
        assertTrue(small.recoverNow("share:t199", new History.Position(newest.epoch(), 0)).recovered(),
                "the topic appended last keeps its history");
        assertNotEquals(firsts.get(0).epoch(), small.positionNow("share:t0").epoch(), "an evicted topic's epoch is gone");
    }

    @Test
    void concurrentPublishersGetGaplessDistinctOffsets() throws Exception {
        InMemoryHistory h = new InMemoryHistory(100_000, Duration.ofMinutes(2), 1L << 30, Clock.systemUTC());
        int threads = 4;
        int each = 5_000;
        List<Long> offsets = Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        for (int t = 0; t < threads; t++) {
            pool.execute(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < each; i++) {
                    offsets.add(h.append(event("hot", "e")).offset());
                }
            });
        }
        start.countDown();
        pool.shutdown();
        assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS));
        List<Long> sorted = new ArrayList<>(offsets);
        Collections.sort(sorted);
        for (int i = 0; i < sorted.size(); i++) {
            assertEquals(i + 1, sorted.get(i), "no gap, no repeat");
        }
        History.Recovery all = h.recoverNow("share:hot", new History.Position(h.positionNow("share:hot").epoch(), 0));
        assertEquals(threads * each, all.events().size());
    }
}
