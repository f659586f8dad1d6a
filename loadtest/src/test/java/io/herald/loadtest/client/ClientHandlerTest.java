package io.herald.loadtest.client;

import io.herald.loadtest.EventClock;
import io.herald.loadtest.Topics;
import io.herald.loadtest.report.DeliveryStats;
import io.herald.loadtest.report.ErrorKind;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler.ClientHandshakeStateEvent;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClientHandlerTest {
    private final DeliveryStats stats = new DeliveryStats();
    private final List<String> events = new ArrayList<>();
    private final SessionListener listener = new SessionListener() {
        @Override
        public void upgraded(SimulatedClient client) {
            events.add("upgraded");
        }

        @Override
        public void subscribed(SimulatedClient client) {
            events.add("subscribed");
        }

        @Override
        public void failed(SimulatedClient client, ErrorKind kind, String detail) {
            events.add("failed " + kind);
            stats.error(kind);
        }

        @Override
        public void closed(SimulatedClient client, int code, boolean dropped) {
            events.add("closed " + code);
        }
    };

    private EmbeddedChannel channel(SimulatedClient client, Dialect dialect, PublishedSequences published) {
        client.startSession();
        return new EmbeddedChannel(new ClientHandler(client, dialect, new Topics(4), stats, published, listener, 0));
    }

    private static TextWebSocketFrame event(long seq) {
        return new TextWebSocketFrame("{\"type\":\"loadtest\",\"share_id\":\"t1\",\"data\":{\"seq\":" + seq
                + ",\"t\":" + EventClock.now() + ",\"pad\":\"xxxxxxxx\"}}");
    }

    private static String outboundText(EmbeddedChannel ch) {
        TextWebSocketFrame f = ch.readOutbound();
        try {
            return f.content().toString(StandardCharsets.UTF_8);
        } finally {
            f.release();
        }
    }

    @Test
    void realtimeSubscribesAfterTheUpgradeAndCountsGapsDuplicatesAndReordering() {
        SimulatedClient client = new SimulatedClient(5, 1);
        EmbeddedChannel ch = channel(client, Dialect.REALTIME, topic -> 0);
        ch.pipeline().fireUserEventTriggered(ClientHandshakeStateEvent.HANDSHAKE_COMPLETE);
        assertEquals("{\"action\":\"subscribe\",\"share_id\":\"t1\"}", outboundText(ch));

        ch.writeInbound(new TextWebSocketFrame("{\"type\":\"subscribed\",\"share_id\":\"t1\"}"));
        assertTrue(client.isSubscribed());
        for (long seq : new long[] {1, 2, 4, 4, 3, 5}) {
            TextWebSocketFrame f = event(seq);
            ch.writeInbound(f);
            assertEquals(0, f.refCnt(), "the handler releases what it reads");
        }
        assertEquals(6, stats.deliveries());
        assertEquals(1, stats.gaps());
        assertEquals(1, stats.missing());
        assertEquals(1, stats.duplicates());
        assertEquals(1, stats.outOfOrder());
        assertEquals(List.of("upgraded", "subscribed"), events);
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void aForceSyncAnnouncesTheNextJump() {
        SimulatedClient client = new SimulatedClient(0, 0);
        EmbeddedChannel ch = channel(client, Dialect.REALTIME, topic -> 0);
        ch.pipeline().fireUserEventTriggered(ClientHandshakeStateEvent.HANDSHAKE_COMPLETE);
        outboundText(ch);
        ch.writeInbound(new TextWebSocketFrame("{\"type\":\"subscribed\",\"share_id\":\"t0\"}"));
        ch.writeInbound(event(1));
        ch.writeInbound(new TextWebSocketFrame("{\"type\":\"force_sync\",\"share_id\":\"t0\"}"));
        ch.writeInbound(event(40));
        ch.writeInbound(event(41));
        assertEquals(0, stats.gaps());
        assertEquals(1, stats.forceSyncs());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void aFreshSubscriptionMaySkipOnlyWhatWasAlreadyBeingPublished() {
        // §3: events whose publish began after "subscribed" must all arrive; 10 had begun.
        SimulatedClient late = new SimulatedClient(0, 0);
        EmbeddedChannel ok = channel(late, Dialect.SYNC, topic -> 10);
        ok.pipeline().fireUserEventTriggered(ClientHandshakeStateEvent.HANDSHAKE_COMPLETE);
        assertEquals("{\"type\":\"subscribe\"}", outboundText(ok));
        ok.writeInbound(new TextWebSocketFrame("{\"type\":\"subscribed\",\"shares\":[\"t0\"]}"));
        ok.writeInbound(event(11));
        assertEquals(0, stats.gaps());

        SimulatedClient lossy = new SimulatedClient(1, 0);
        EmbeddedChannel bad = channel(lossy, Dialect.SYNC, topic -> 10);
        bad.pipeline().fireUserEventTriggered(ClientHandshakeStateEvent.HANDSHAKE_COMPLETE);
        outboundText(bad);
        bad.writeInbound(new TextWebSocketFrame("{\"type\":\"subscribed\",\"shares\":[\"t0\"]}"));
        bad.writeInbound(event(13));
        assertEquals(1, stats.gaps());
        assertEquals(2, stats.missing());
        assertFalse(ok.finishAndReleaseAll());
        assertFalse(bad.finishAndReleaseAll());
    }

    @Test
    void socketIoConnectsAfterOpenAndAnswersPings() {
        SimulatedClient client = new SimulatedClient(0, 2);
        EmbeddedChannel ch = channel(client, Dialect.SOCKETIO, topic -> 0);
        ch.pipeline().fireUserEventTriggered(ClientHandshakeStateEvent.HANDSHAKE_COMPLETE);
        assertNull(ch.readOutbound());
        ch.writeInbound(new TextWebSocketFrame("0{\"sid\":\"x\",\"upgrades\":[],\"pingInterval\":25000}"));
        assertEquals("40", outboundText(ch));
        ch.writeInbound(new TextWebSocketFrame("40{\"sid\":\"y\"}"));
        assertTrue(client.isSubscribed());
        ch.writeInbound(new TextWebSocketFrame("2"));
        assertEquals("3", outboundText(ch));
        ch.writeInbound(new TextWebSocketFrame("42[\"loadtest\",{\"seq\":1,\"t\":" + EventClock.now() + ",\"pad\":\"\"}]"));
        assertEquals(1, stats.deliveries());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void echoesTheServersCloseFrameAndReportsItsCode() {
        SimulatedClient client = new SimulatedClient(0, 0);
        EmbeddedChannel ch = channel(client, Dialect.RAW, topic -> 0);
        ch.pipeline().fireUserEventTriggered(ClientHandshakeStateEvent.HANDSHAKE_COMPLETE);
        assertTrue(client.isSubscribed(), "raw: the upgrade is the subscription");
        ch.writeInbound(new CloseWebSocketFrame(4408, "slow consumer"));
        CloseWebSocketFrame echo = ch.readOutbound();
        assertEquals(4408, echo.statusCode());
        echo.release();
        assertFalse(ch.isOpen());
        assertEquals("closed 4408", events.get(events.size() - 1));
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void errorFramesAndBinaryFramesAreCounted() {
        SimulatedClient client = new SimulatedClient(0, 0);
        EmbeddedChannel ch = channel(client, Dialect.REALTIME, topic -> 0);
        ch.writeInbound(new TextWebSocketFrame("{\"type\":\"error\",\"code\":\"rate_limited\",\"message\":\"slow down\"}"));
        ch.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1, 2})));
        assertEquals(1, stats.errors(ErrorKind.SERVER_ERROR));
        assertEquals(1, stats.errors(ErrorKind.PROTOCOL));
        assertFalse(ch.finishAndReleaseAll());
    }
}
