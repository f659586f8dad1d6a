package io.herald.protocol;

import io.herald.hub.Topic;
import io.herald.protocol.realtime.RealtimeDialect;
import io.herald.testing.EmbeddedConnection;
import io.herald.testing.ServerLog;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The JSON dialect router on an EmbeddedChannel: control frames (RFC 6455 §5.5), §8 closes, release of every frame. */
class DialectHandlerTest {

    static EmbeddedConnection realtime() {
        EmbeddedConnection c = new EmbeddedConnection(new RealtimeDialect(EmbeddedConnection.CLOCK),
                EmbeddedConnection.principal("alice", Set.of("s1"), Set.of()), null);
        c.texts(); // the connected frame
        return c;
    }

    @Test
    void pingIsAnsweredWithPongCarryingTheSamePayload() {
        try (EmbeddedConnection c = realtime()) {
            PingWebSocketFrame ping = new PingWebSocketFrame(Unpooled.copiedBuffer("hb", StandardCharsets.UTF_8));
            c.channel.writeInbound(ping);
            PongWebSocketFrame pong = c.channel.readOutbound();
            assertEquals("hb", pong.content().toString(StandardCharsets.UTF_8));
            pong.release();
            assertEquals(0, ping.refCnt(), "the ping is released");
        }
    }

    @Test
    void clientCloseIsEchoedWithItsCodeAndTheChannelCloses() {
        try (EmbeddedConnection c = realtime()) {
            c.channel.writeInbound(new CloseWebSocketFrame(1000, "bye"));
            CloseWebSocketFrame echo = c.channel.readOutbound();
            assertEquals(1000, echo.statusCode());
            echo.release();
            c.channel.runPendingTasks();
            assertFalse(c.channel.isOpen());
            assertEquals(0, c.hub.subscriptionCount(), "subscriptions dropped with the connection");
            assertEquals(0, c.stats.connections());
        }
    }

    @Test
    void binaryMessagesClose1003() {
        try (EmbeddedConnection c = realtime()) {
            BinaryWebSocketFrame bin = new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1, 2}));
            c.channel.writeInbound(bin);
            assertEquals(0, bin.refCnt());
            CloseWebSocketFrame close = c.channel.readOutbound();
            assertEquals(1003, close.statusCode());
            close.release();
        }
    }

    @Test
    void tooLongMessageCloses1009() {
        try (EmbeddedConnection c = realtime()) {
            c.channel.pipeline().fireExceptionCaught(new TooLongFrameException("big"));
            CloseWebSocketFrame close = c.channel.readOutbound();
            assertEquals(1009, close.statusCode());
            close.release();
        }
    }

    /** A client that leaves in the middle of a fragmented message: the frame aggregator's premature closure is no warning. */
    @Test
    void aClientLeavingMidMessageIsNoWarning() throws Exception {
        try (EmbeddedConnection c = realtime()) {
            c.channel.pipeline().addFirst(new WebSocketFrameAggregator(65536));
            TextWebSocketFrame first = new TextWebSocketFrame(false, 0, "{\"action\":");
            c.channel.writeInbound(first);
            String log = ServerLog.during(() -> {
                c.channel.close();
                c.channel.runPendingTasks();
            });
            assertEquals(0, first.refCnt(), "the partial message is released");
            assertFalse(log.contains("WARN"), log);
            assertFalse(log.contains("PrematureChannelClosureException"), log);
            assertNull(c.channel.readOutbound(), "no 1011 close frame for a client that is gone");
            assertEquals(0, c.stats.connections());
        }
    }

    @Test
    void afterOurCloseTextIsIgnoredAndTheClientsCloseEndsTheHandshake() {
        try (EmbeddedConnection c = realtime()) {
            c.connection.close(Disconnect.UNAUTHORIZED);
            CloseWebSocketFrame close = c.channel.readOutbound();
            assertEquals(4401, close.statusCode());
            assertEquals("unauthorized", close.reasonText());
            close.release();
            TextWebSocketFrame late = new TextWebSocketFrame("{\"action\":\"ping\"}");
            c.channel.writeInbound(late);
            assertEquals(0, late.refCnt());
            c.channel.writeInbound(new PingWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1})));
            assertNull(c.channel.readOutbound(), "RFC 6455 §5.5.1: nothing after our close frame, not even a pong");
            c.channel.writeInbound(new CloseWebSocketFrame(4401, ""));
            assertFalse(c.channel.isOpen());
        }
    }

    @Test
    void eventsAreDroppedAndReleasedOnceClosing() {
        try (EmbeddedConnection c = realtime()) {
            c.connection.close(Disconnect.GOING_AWAY);
            ReferenceCountUtil.release(c.channel.readOutbound());
            ByteBuf frame = TextFrames.text(c.channel.alloc(), "{}".getBytes(StandardCharsets.UTF_8));
            assertFalse(c.connection.deliver("share:s1", frame));
            assertEquals(0, frame.refCnt());
        }
    }

    @Test
    void closingUnsubscribesEverything() {
        try (EmbeddedConnection c = realtime()) {
            c.send("{\"action\":\"subscribe\",\"share_id\":\"s1\"}");
            assertEquals(List.of("{\"type\":\"subscribed\",\"share_id\":\"s1\"}"), c.texts());
            assertTrue(c.connection.isSubscribed(Topic.share("s1")));
            c.channel.close();
            c.channel.runPendingTasks();
            assertEquals(0, c.hub.subscriptionCount());
            assertEquals(List.of("+user:alice", "+broadcast", "+share:s1"), c.interest.subList(0, 3));
            assertEquals(Set.of("-user:alice", "-broadcast", "-share:s1"), Set.copyOf(c.interest.subList(3, 6)));
        }
    }

    @Test
    void messagesReachTheDialectAndAreReleased() {
        try (EmbeddedConnection c = realtime()) {
            TextWebSocketFrame ping = new TextWebSocketFrame("{\"action\":\"ping\"}");
            c.channel.writeInbound(ping);
            assertEquals(List.of("{\"type\":\"pong\"}"), c.texts());
            assertEquals(0, ping.refCnt());
            assertInstanceOf(DialectHandler.class, c.channel.pipeline().first());
        }
    }

    @Test
    void framesBeforeOpenWaitAndFollowTheGreetingInOrder() {
        // The client's first frames may arrive in the same read as its upgrade request, before the 101 is out.
        try (EmbeddedConnection c = EmbeddedConnection.unopened(new RealtimeDialect(EmbeddedConnection.CLOCK),
                EmbeddedConnection.principal("early", Set.of("s1"), Set.of()))) {
            TextWebSocketFrame subscribe = new TextWebSocketFrame("{\"action\":\"subscribe\",\"share_id\":\"s1\"}");
            TextWebSocketFrame ping = new TextWebSocketFrame("{\"action\":\"ping\"}");
            c.channel.writeInbound(subscribe, ping);
            assertEquals(List.of(), c.texts(), "nothing is answered before the greeting");
            c.handler.open();
            assertEquals(List.of("{\"type\":\"connected\",\"user_id\":\"early\",\"timestamp\":\"2026-11-22T10:00:00.000Z\"}",
                    "{\"type\":\"subscribed\",\"share_id\":\"s1\"}", "{\"type\":\"pong\"}"), c.texts());
            assertEquals(0, subscribe.refCnt());
            assertEquals(0, ping.refCnt());
        }
    }

    @Test
    void aFloodBeforeOpenIsAPolicyCloseAndEveryFrameIsReleased() {
        try (EmbeddedConnection c = EmbeddedConnection.unopened(new RealtimeDialect(EmbeddedConnection.CLOCK),
                EmbeddedConnection.principal("flood", Set.of(), Set.of()))) {
            List<TextWebSocketFrame> frames = new java.util.ArrayList<>();
            for (int i = 0; i <= DialectHandler.MAX_EARLY; i++) {
                TextWebSocketFrame f = new TextWebSocketFrame("{\"action\":\"ping\"}");
                frames.add(f);
                c.channel.writeInbound(f);
            }
            c.channel.runPendingTasks();
            assertTrue(c.connection.isClosing(), "closed 1008 before it ever opened");
            for (TextWebSocketFrame f : frames) {
                assertEquals(0, f.refCnt());
            }
        }
    }
}
