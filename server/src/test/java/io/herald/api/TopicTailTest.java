package io.herald.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.herald.hub.Envelope;
import io.herald.hub.Hub;
import io.herald.hub.Topic;
import io.herald.metrics.Stats;
import io.herald.testing.NoBroker;
import io.herald.testing.TestClock;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The admin topic tail's handler on an {@link EmbeddedChannel}: its lines, its bounds, its end (issue 15). */
class TopicTailTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final TestClock clock = new TestClock(Instant.parse("2026-12-02T10:00:00Z"));
    private final TopicTails tails = new TopicTails();
    private final Hub hub = new Hub(List.of(tails), NoBroker.INTEREST, ByteBufAllocator.DEFAULT, new Stats());
    private EmbeddedChannel ch;

    @AfterEach
    void finish() {
        if (ch != null) {
            ch.finishAndReleaseAll();
        }
    }

    private EmbeddedChannel tail(String topic, Duration lasting) {
        assertTrue(tails.tryOpen());
        ch = new EmbeddedChannel(new TopicTail(hub, tails, 0, topic, "i1", clock.millis() + lasting.toMillis(), clock));
        ch.runPendingTasks();
        return ch;
    }

    /** The response head, then every line written so far. */
    private List<JsonNode> lines() throws Exception {
        List<JsonNode> out = new ArrayList<>();
        Object m;
        while ((m = ch.readOutbound()) != null) {
            try {
                if (m instanceof HttpContent c) {
                    for (String line : c.content().toString(StandardCharsets.UTF_8).split("\n")) {
                        if (!line.isEmpty()) {
                            out.add(JSON.readTree(line));
                        }
                    }
                }
            } finally {
                ReferenceCountUtil.release(m);
            }
        }
        return out;
    }

    private static Envelope event(String share, String type) {
        return new Envelope(Topic.share(share), type, "{\"n\":1}".getBytes(StandardCharsets.UTF_8), share, null);
    }

    private void flushWindow() {
        ch.advanceTimeBy(TopicTail.FLUSH_MILLIS, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        ch.runPendingTasks();
    }

    @Test
    void streamsTheTopicsEventsAsJsonLines() throws Exception {
        tail("share:s1", Duration.ofMinutes(5));
        HttpResponse head = ch.readOutbound();
        assertEquals(200, head.status().code());
        assertTrue(HttpUtil.isTransferEncodingChunked(head));
        assertTrue(head.headers().get(HttpHeaderNames.CONTENT_TYPE).startsWith("application/x-ndjson"));
        List<JsonNode> first = lines();
        assertEquals("subscribed", first.get(0).get("type").asText());
        assertEquals("share:s1", first.get(0).get("topic").asText());
        assertEquals("i1", first.get(0).get("instance").asText());

        hub.publish(event("s1", "file_created"));
        hub.publish(event("s2", "other_share")); // not this tail's topic
        ch.runPendingTasks();
        assertTrue(lines().isEmpty(), "events go out in batches, not one write each");
        flushWindow();
        List<JsonNode> got = lines();
        assertEquals(1, got.size(), got.toString());
        assertEquals("event", got.get(0).get("type").asText());
        assertEquals("file_created", got.get(0).at("/event/event_type").asText());
        assertEquals("share:s1", got.get(0).at("/event/topic").asText());
        assertEquals(1, got.get(0).at("/event/data/n").asInt());
        assertEquals("2026-12-02T10:00:00.000Z", got.get(0).get("at").asText());
    }

    @Test
    void aHotTopicIsCutToABatchPerWindowAndTheRestCounted() throws Exception {
        tail("share:hot", Duration.ofMinutes(5));
        ch.readOutbound();
        lines();
        for (int i = 0; i < 100; i++) {
            hub.publish(event("hot", "e" + i));
        }
        ch.runPendingTasks();
        flushWindow();
        List<JsonNode> got = lines();
        long events = got.stream().filter(l -> l.get("type").asText().equals("event")).count();
        assertEquals(TopicTail.MAX_PER_FLUSH, events);
        JsonNode skipped = got.get(got.size() - 1);
        assertEquals("skipped", skipped.get("type").asText());
        assertEquals(100 - TopicTail.MAX_PER_FLUSH, skipped.get("count").asInt());
        assertEquals("e0", got.get(0).at("/event/event_type").asText(), "the first of the window are shown");
    }

    @Test
    void nothingIsWrittenWhileTheSocketIsFullOnlyCounted() throws Exception {
        tail("share:s1", Duration.ofMinutes(5));
        ch.readOutbound();
        lines();
        ch.config().setWriteBufferWaterMark(new io.netty.channel.WriteBufferWaterMark(1, 2));
        ch.write(Unpooled.wrappedBuffer(new byte[64])); // queued, unflushed: the channel is not writable
        assertFalse(ch.isWritable());
        hub.publish(event("s1", "while-full"));
        ch.runPendingTasks();
        flushWindow();
        ch.flushOutbound();
        io.netty.buffer.ByteBuf filler = ch.readOutbound();
        assertEquals(64, filler.readableBytes(), "only our own filler");
        filler.release();
        assertNull(ch.readOutbound(), "nothing else was written while the socket was full");
        // writable again: the skipped line goes out at the next look, without waiting for another event
        flushWindow();
        List<JsonNode> got = lines();
        assertEquals(1, got.size(), got.toString());
        assertEquals("skipped", got.get(0).get("type").asText());
        assertEquals(1, got.get(0).get("count").asInt());
        hub.publish(event("s1", "after"));
        ch.runPendingTasks();
        flushWindow();
        assertEquals("after", lines().get(0).at("/event/event_type").asText());
    }

    @Test
    void endsAtItsDeadlineAndLetsEverythingGo() throws Exception {
        tail("share:s1", Duration.ofSeconds(30));
        ch.readOutbound();
        lines();
        assertEquals(1, tails.openTails());
        assertTrue(hub.hasSubscribers("share:s1"));
        hub.publish(event("s1", "pending-at-the-end")); // held for the next batch when the stream ends
        ch.runPendingTasks();
        clock.advance(Duration.ofSeconds(30));
        ch.advanceTimeBy(30, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        Object m;
        List<Object> out = new ArrayList<>();
        while ((m = ch.readOutbound()) != null) {
            out.add(m);
        }
        LastHttpContent last = (LastHttpContent) out.get(out.size() - 1);
        HttpContent endLine = (HttpContent) out.get(out.size() - 2);
        JsonNode end = JSON.readTree(endLine.content().toString(StandardCharsets.UTF_8));
        out.forEach(ReferenceCountUtil::release);
        assertEquals("end", end.get("type").asText());
        assertEquals("time_limit", end.get("reason").asText());
        assertFalse(ch.isOpen(), "the connection ends with the stream");
        assertEquals(0, tails.openTails());
        assertFalse(hub.hasSubscribers("share:s1"));
        assertNull(tails.render(event("s1", "x"), ByteBufAllocator.DEFAULT), "nobody watches the topic any more");
        assertEquals(0, last.content().readableBytes(), "the chunked response ends");
    }

    @Test
    void aClientThatGoesLetsTheSubscriptionGo() throws Exception {
        tail("share:s1", Duration.ofMinutes(5));
        ch.readOutbound();
        lines();
        hub.publish(event("s1", "held"));
        ch.runPendingTasks();
        ch.close();
        ch.runPendingTasks();
        assertEquals(0, tails.openTails());
        assertFalse(hub.hasSubscribers("share:s1"));
    }

    @Test
    void requestsSentOnTheStreamAreDiscarded() throws Exception {
        tail("share:s1", Duration.ofMinutes(5));
        ch.readOutbound();
        lines();
        assertFalse(ch.writeInbound(Unpooled.copiedBuffer("GET /x HTTP/1.1\r\n\r\n", StandardCharsets.US_ASCII)));
        assertTrue(lines().isEmpty());
    }

    @Test
    void aLargeEventReachesTheTailAsASummary() throws Exception {
        tails.watch("share:big");
        byte[] data = ("\"" + "x".repeat(TopicTails.MAX_EVENT_BYTES) + "\"").getBytes(StandardCharsets.UTF_8);
        io.netty.buffer.ByteBuf r = tails.render(new Envelope(Topic.share("big"), "huge", data, "big", null),
                ByteBufAllocator.DEFAULT);
        try {
            JsonNode s = JSON.readTree(r.toString(StandardCharsets.UTF_8));
            assertEquals("huge", s.get("event_type").asText());
            assertTrue(s.get("truncated").asBoolean());
            assertTrue(s.get("bytes").asInt() > TopicTails.MAX_EVENT_BYTES);
            assertFalse(s.has("data"));
        } finally {
            r.release();
            tails.unwatch("share:big");
        }
    }

    @Test
    void aSubscriptionRefusedAtOnceEndsTheTailAndLeavesNoTimer() throws Exception {
        Hub refusing = new Hub(List.of(tails), new io.herald.hub.InterestListener() {
            @Override
            public java.util.concurrent.CompletionStage<Void> firstSubscriber(String topic) {
                return java.util.concurrent.CompletableFuture.failedFuture(new IllegalStateException("broker down"));
            }

            @Override
            public void lastSubscriberLeft(String topic) {
            }
        }, ByteBufAllocator.DEFAULT, new Stats());
        assertTrue(tails.tryOpen());
        ch = new EmbeddedChannel(new TopicTail(refusing, tails, 0, "share:s1", "i1", clock.millis() + 60_000, clock));
        ch.runPendingTasks();
        ch.readOutbound();
        List<JsonNode> got = lines();
        assertEquals("error", got.get(got.size() - 1).get("type").asText(), got.toString());
        assertFalse(ch.isOpen());
        assertEquals(0, tails.openTails());
        ch.advanceTimeBy(TopicTail.PING_MILLIS * 3, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertNull(ch.readOutbound(), "no ping after the end");
        assertEquals(-1, ch.runScheduledPendingTasks(), "no timer left behind");
    }

    @Test
    void atMostSoManyTailsAtOnce() {
        for (int i = 0; i < TopicTails.MAX_TAILS; i++) {
            assertTrue(tails.tryOpen());
        }
        assertFalse(tails.tryOpen());
        tails.release();
        assertTrue(tails.tryOpen());
    }
}
