package io.herald.hub;

import io.herald.metrics.Stats;
import io.herald.testing.NoBroker;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.DefaultEventLoop;
import io.netty.util.concurrent.EventExecutor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Sharded index, first/last interest, encode once and one task per loop per publication. */
class HubTest {
    final DefaultEventLoop loopA = new DefaultEventLoop();
    final DefaultEventLoop loopB = new DefaultEventLoop();
    final List<String> interest = new CopyOnWriteArrayList<>();
    final List<ByteBuf> rendered = new CopyOnWriteArrayList<>();
    final Stats stats = new Stats();

    /** Renders "<slot>:<event_type>" and remembers the original buffer to check its release. */
    FrameRenderer renderer(int slot) {
        return (e, alloc) -> {
            if (e.eventType().equals("skip-" + slot)) {
                return null;
            }
            ByteBuf b = alloc.buffer().writeBytes((slot + ":" + e.eventType()).getBytes(StandardCharsets.UTF_8));
            rendered.add(b);
            return b;
        };
    }

    final Hub hub = new Hub(List.of(renderer(0), renderer(1)), new InterestListener() {
        @Override
        public CompletionStage<Void> firstSubscriber(String topic) {
            interest.add("+" + topic);
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void lastSubscriberLeft(String topic) {
            interest.add("-" + topic);
        }
    }, ByteBufAllocator.DEFAULT, stats);

    static class FakeSubscriber implements Subscriber {
        final EventExecutor loop;
        final int slot;
        final Set<String> topics = new HashSet<>();
        final List<String> got = new CopyOnWriteArrayList<>();
        final List<ByteBuf> frames = new CopyOnWriteArrayList<>();

        FakeSubscriber(EventExecutor loop, int slot) {
            this.loop = loop;
            this.slot = slot;
        }

        @Override
        public EventExecutor eventLoop() {
            return loop;
        }

        @Override
        public int rendererSlot() {
            return slot;
        }

        @Override
        public Set<String> topics() {
            return topics;
        }

        @Override
        public boolean deliver(String topic, ByteBuf frame) {
            got.add(frame.toString(StandardCharsets.UTF_8));
            frames.add(frame);
            return true;
        }

        void releaseAll() {
            frames.forEach(ByteBuf::release);
        }
    }

    void onLoop(EventExecutor loop, Runnable r) throws Exception {
        loop.submit(r).get(5, TimeUnit.SECONDS);
    }

    void drain() throws Exception {
        onLoop(loopA, () -> { });
        onLoop(loopB, () -> { });
    }

    @AfterEach
    void stop() {
        loopA.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        loopB.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void reportsFirstSubscriberAndLastLeaverAcrossShards() throws Exception {
        FakeSubscriber a = new FakeSubscriber(loopA, 0);
        FakeSubscriber b = new FakeSubscriber(loopB, 0);
        onLoop(loopA, () -> hub.subscribe(a, "share:s1"));
        onLoop(loopB, () -> hub.subscribe(b, "share:s1"));
        onLoop(loopA, () -> hub.subscribe(a, "share:s1")); // repeat is harmless
        assertEquals(List.of("+share:s1"), interest);
        assertEquals(2, hub.subscriptionCount());
        onLoop(loopA, () -> hub.unsubscribe(a, "share:s1"));
        assertEquals(List.of("+share:s1"), interest, "b still listens");
        onLoop(loopB, () -> hub.unsubscribeAll(b));
        assertEquals(List.of("+share:s1", "-share:s1"), interest);
        assertEquals(0, hub.topicCount());
        assertEquals(0, hub.subscriptionCount());
    }

    @Test
    void publishRendersOncePerDialectAndEverySubscriberSharesTheBytes() throws Exception {
        List<FakeSubscriber> subs = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            FakeSubscriber s = new FakeSubscriber(i % 2 == 0 ? loopA : loopB, i % 3 == 0 ? 1 : 0);
            subs.add(s);
            onLoop(s.loop, () -> hub.subscribe(s, "share:s1"));
        }
        hub.publish(new Envelope(Topic.share("s1"), "e", null, "s1", null));
        drain();
        assertEquals(2, rendered.size(), "one render per dialect, not per subscriber");
        for (FakeSubscriber s : subs) {
            assertEquals(List.of(s.slot + ":e"), s.got);
        }
        for (int slot = 0; slot < 2; slot++) {
            rendered.get(slot).setByte(2, 'X'); // every subscriber's frame shares the one rendered buffer
        }
        for (FakeSubscriber s : subs) {
            assertEquals(s.slot + ":X", s.frames.get(0).toString(StandardCharsets.UTF_8));
        }
        subs.forEach(FakeSubscriber::releaseAll);
        for (ByteBuf b : rendered) {
            assertEquals(0, b.refCnt(), "released once every shard and subscriber is done");
        }
        assertEquals(10, stats.delivered());
    }

    /**
     * RFC 7692: subscribers that agreed to permessage-deflate, on either loop, all get duplicates of one compressed
     * copy of the frame, made once; the others the plain frame; every buffer is released in the end.
     */
    @Test
    void deflatingSubscribersShareOneCompressedCopy() throws Exception {
        List<ByteBuf> frames = new CopyOnWriteArrayList<>();
        Hub jsonHub = new Hub(List.of((e, alloc) -> {
            ByteBuf f = io.herald.protocol.TextFrames.json(alloc, g -> {
                g.writeStartObject();
                g.writeStringField("type", e.eventType());
                g.writeStringField("pad", "abcdefgh".repeat(40));
                g.writeEndObject();
            });
            frames.add(f);
            return f;
        }), NoBroker.INTEREST, ByteBufAllocator.DEFAULT, stats);
        List<FakeSubscriber> deflating = new ArrayList<>();
        for (EventExecutor loop : List.of(loopA, loopA, loopB)) {
            FakeSubscriber s = new FakeSubscriber(loop, 0) {
                @Override
                public boolean deflates() {
                    return true;
                }
            };
            deflating.add(s);
            onLoop(loop, () -> jsonHub.subscribe(s, "share:s1"));
        }
        FakeSubscriber plain = new FakeSubscriber(loopB, 0);
        onLoop(loopB, () -> jsonHub.subscribe(plain, "share:s1"));
        jsonHub.publish(new Envelope(Topic.share("s1"), "e", null, "s1", null));
        drain();
        ByteBuf first = deflating.get(0).frames.get(0);
        int last = first.writerIndex() - 1;
        byte was = first.getByte(last);
        first.setByte(last, was ^ 0x5a); // duplicates share their memory: a write shows through all of one copy's
        for (FakeSubscriber s : deflating) {
            ByteBuf f = s.frames.get(0);
            assertTrue(io.herald.protocol.DeflatedFrames.isDeflated(f));
            assertEquals((byte) (was ^ 0x5a), f.getByte(last), "a duplicate of the one compressed copy");
        }
        first.setByte(last, was);
        ByteBuf plainFrame = plain.frames.get(0);
        assertTrue(!io.herald.protocol.DeflatedFrames.isDeflated(plainFrame));
        assertEquals(frames.get(0), plainFrame, "the plain one gets the rendered frame");
        assertTrue(first.readableBytes() < plainFrame.readableBytes() / 2, "compressed");
        deflating.forEach(FakeSubscriber::releaseAll);
        plain.releaseAll();
        assertEquals(0, frames.get(0).refCnt(), "released with the publication (the leak detector checks the copy)");
    }

    @Test
    void roomsReachTheirSlotOnceEachMinusExcept() throws Exception {
        FakeSubscriber both = new FakeSubscriber(loopA, 1); // in room u1 (user) and room s1 (session)
        FakeSubscriber other = new FakeSubscriber(loopB, 1);
        FakeSubscriber excluded = new FakeSubscriber(loopB, 1);
        FakeSubscriber otherDialect = new FakeSubscriber(loopA, 0);
        onLoop(loopA, () -> {
            hub.subscribe(both, "user:u1");
            hub.subscribe(both, "session:s1");
            hub.subscribe(otherDialect, "user:u1");
        });
        onLoop(loopB, () -> {
            hub.subscribe(other, "user:u2");
            hub.subscribe(excluded, "user:u2");
            hub.subscribe(excluded, "session:gone");
        });
        ByteBuf frame = ByteBufAllocator.DEFAULT.buffer().writeBytes("42[\"ev\"]".getBytes(StandardCharsets.UTF_8));
        hub.publishRooms(1, frame, List.of("user:u1", "session:s1", "user:u2"), List.of("session:gone"));
        drain();
        assertEquals(List.of("42[\"ev\"]"), both.got, "once, though in two of the rooms");
        assertEquals(List.of("42[\"ev\"]"), other.got);
        assertEquals(List.of(), excluded.got, "in an except room");
        assertEquals(List.of(), otherDialect.got, "another endpoint's connection on the same topic");
        both.releaseAll();
        other.releaseAll();
        assertEquals(0, frame.refCnt());
        ByteBuf nobody = ByteBufAllocator.DEFAULT.buffer().writeByte('x');
        hub.publishRooms(1, nobody, List.of("user:none"), List.of());
        assertEquals(0, nobody.refCnt(), "released at once when no room has anyone here");
    }

    @Test
    void oneTaskPerLoopPerPublication() throws Exception {
        List<FakeSubscriber> subs = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            FakeSubscriber s = new FakeSubscriber(loopA, 0);
            subs.add(s);
            onLoop(loopA, () -> hub.subscribe(s, "share:hot"));
        }
        CountDownLatch hold = new CountDownLatch(1);
        CountDownLatch held = new CountDownLatch(1);
        loopA.execute(() -> {
            held.countDown();
            try {
                hold.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        held.await();
        hub.publish(new Envelope(Topic.share("hot"), "e", null, "hot", null));
        assertEquals(1, loopA.pendingTasks(), "100 subscribers, one task");
        hold.countDown();
        drain();
        subs.forEach(s -> assertEquals(1, s.got.size()));
        subs.forEach(FakeSubscriber::releaseAll);
    }

    @Test
    void noSubscriberNoRenderAndDialectsThatSkipGetNothing() throws Exception {
        hub.publish(new Envelope(Topic.share("nobody"), "e", null, "nobody", null));
        assertEquals(0, rendered.size());
        FakeSubscriber s = new FakeSubscriber(loopA, 1);
        onLoop(loopA, () -> hub.subscribe(s, "share:s1"));
        hub.publish(new Envelope(Topic.share("s1"), "skip-1", null, "s1", null));
        drain();
        assertTrue(s.got.isEmpty());
        rendered.forEach(b -> assertEquals(0, b.refCnt()));
        assertEquals(2, stats.published());
    }

    @Test
    void aBrokerThatFailsToSubscribeFailsTheStageAndARetryAsksAgain() throws Exception {
        List<String> asked = new CopyOnWriteArrayList<>();
        Hub failing = new Hub(List.of(renderer(0)), new InterestListener() {
            @Override
            public CompletionStage<Void> firstSubscriber(String topic) {
                asked.add(topic);
                if (asked.size() == 1) {
                    throw new IllegalStateException("broker down");
                }
                return CompletableFuture.completedFuture(null);
            }

            @Override
            public void lastSubscriberLeft(String topic) {
            }
        }, ByteBufAllocator.DEFAULT, stats);
        FakeSubscriber s = new FakeSubscriber(loopA, 0);
        CompletableFuture<CompletionStage<Void>> first = new CompletableFuture<>();
        onLoop(loopA, () -> first.complete(failing.subscribe(s, "share:s1")));
        assertTrue(first.get().toCompletableFuture().isCompletedExceptionally(), "the failure reaches the caller");
        onLoop(loopA, () -> failing.unsubscribe(s, "share:s1")); // what Connection does on failure
        assertEquals(0, failing.topicCount());
        CompletableFuture<CompletionStage<Void>> retry = new CompletableFuture<>();
        onLoop(loopA, () -> retry.complete(failing.subscribe(s, "share:s1")));
        retry.get().toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertEquals(List.of("share:s1", "share:s1"), asked, "the retry asked the broker again");
    }

    @Test
    void keepsPublishOrderPerSubscriber() throws Exception {
        FakeSubscriber a = new FakeSubscriber(loopA, 0);
        FakeSubscriber b = new FakeSubscriber(loopB, 0);
        onLoop(loopA, () -> hub.subscribe(a, "share:s1"));
        onLoop(loopB, () -> hub.subscribe(b, "share:s1"));
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            hub.publish(new Envelope(Topic.share("s1"), "e" + i, null, "s1", null));
            expected.add("0:e" + i);
        }
        drain();
        assertEquals(expected, a.got);
        assertEquals(expected, b.got);
        a.releaseAll();
        b.releaseAll();
    }

    @Test
    void oneLoopGoesFromASingleSubscriberToManyAndBack() throws Exception {
        FakeSubscriber a = new FakeSubscriber(loopA, 0);
        FakeSubscriber b = new FakeSubscriber(loopA, 1);
        FakeSubscriber c = new FakeSubscriber(loopA, 0);
        Topic t = Topic.share("s1");
        onLoop(loopA, () -> hub.subscribe(a, t.name()));
        hub.publish(new Envelope(t, "one", null, "s1", null));
        onLoop(loopA, () -> hub.subscribe(b, t.name()));
        onLoop(loopA, () -> hub.subscribe(b, t.name())); // repeat is harmless
        hub.publish(new Envelope(t, "two", null, "s1", null));
        onLoop(loopA, () -> hub.unsubscribe(a, t.name()));
        onLoop(loopA, () -> hub.unsubscribe(a, t.name())); // not subscribed any more: no effect
        hub.publish(new Envelope(t, "three", null, "s1", null));
        onLoop(loopA, () -> hub.subscribe(c, t.name()));
        onLoop(loopA, () -> hub.unsubscribeAll(b));
        hub.publish(new Envelope(t, "four", null, "s1", null));
        assertEquals(List.of("+share:s1"), interest, "someone listened all along");
        onLoop(loopA, () -> hub.unsubscribe(c, t.name()));
        hub.publish(new Envelope(t, "five", null, "s1", null));
        drain();
        assertEquals(List.of("+share:s1", "-share:s1"), interest);
        assertEquals(0, hub.topicCount());
        assertEquals(0, hub.subscriptionCount());
        assertEquals(List.of("0:one", "0:two"), a.got);
        assertEquals(List.of("1:two", "1:three"), b.got);
        assertEquals(List.of("0:four"), c.got);
        a.releaseAll();
        b.releaseAll();
        c.releaseAll();
    }

    @Test
    void aSubscriberAloneOnItsTopicLeavesOnlyItsOwnTopic() throws Exception {
        FakeSubscriber a = new FakeSubscriber(loopA, 0);
        FakeSubscriber b = new FakeSubscriber(loopA, 0);
        onLoop(loopA, () -> hub.subscribe(a, "user:a"));
        onLoop(loopA, () -> hub.subscribe(b, "user:b"));
        onLoop(loopA, () -> hub.unsubscribe(b, "user:a")); // b never was in user:a
        hub.publish(new Envelope(Topic.user("a"), "hi", null, null, null));
        drain();
        assertEquals(List.of("0:hi"), a.got);
        assertEquals(List.of(), b.got);
        assertEquals(2, hub.topicCount());
        a.releaseAll();
    }
}
