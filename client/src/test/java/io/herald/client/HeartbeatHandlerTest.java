package io.herald.client;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler.ClientHandshakeStateEvent;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

/** §8.1 heartbeat on virtual time (EmbeddedChannel's frozen clock): ping every 30 s, pong within 30 s. */
class HeartbeatHandlerTest {
    private static final String PING = "{\"action\":\"ping\"}";

    private final List<Object> events = new ArrayList<>();
    private final List<Object> passedOn = new ArrayList<>();
    private int pings;
    private int pongs;
    private EmbeddedChannel ch;

    @BeforeEach
    void setUp() {
        setUp(false);
    }

    private void setUp(boolean probe) {
        HeartbeatHandler.Counter counter = new HeartbeatHandler.Counter() {
            @Override
            public void pingSent() {
                pings++;
            }

            @Override
            public void pongReceived() {
                pongs++;
            }
        };
        ch = new EmbeddedChannel();
        ch.freezeTime();
        ch.pipeline().addLast(new HeartbeatHandler(PING, Duration.ofSeconds(30).toNanos(), Duration.ofSeconds(30).toNanos(),
                        probe, counter),
                new ChannelInboundHandlerAdapter() {
                    @Override
                    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                        events.add(evt);
                    }

                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        passedOn.add(msg);
                    }
                });
    }

    private void advance(Duration d) {
        ch.advanceTimeBy(d.toNanos(), TimeUnit.NANOSECONDS);
        ch.runScheduledPendingTasks();
    }

    private void assertPingWritten() {
        TextWebSocketFrame f = ch.readOutbound();
        try {
            assertEquals(PING, f.text());
        } finally {
            f.release();
        }
        assertNull(ch.readOutbound());
    }

    private long timeouts() {
        return events.stream().filter(e -> e == HeartbeatHandler.TIMEOUT).count();
    }

    @Test
    void noPingsBeforeTheUpgradeCompletes() {
        advance(Duration.ofSeconds(120));
        assertNull(ch.readOutbound());
        assertEquals(0, pings);
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void pingsEveryIntervalAndTimesOutThirtySecondsAfterAnUnansweredPing() {
        ch.pipeline().fireUserEventTriggered(ClientHandshakeStateEvent.HANDSHAKE_COMPLETE);
        advance(Duration.ofMillis(29_999));
        assertNull(ch.readOutbound());
        advance(Duration.ofMillis(1)); // t = 30 s
        assertPingWritten();
        assertEquals(1, pings);
        advance(Duration.ofMillis(29_999)); // t = 59.999 s
        assertEquals(0, timeouts());
        advance(Duration.ofMillis(1)); // t = 60 s: the first ping is 30 s old
        assertEquals(1, timeouts());
        assertNull(ch.readOutbound(), "the timeout wins over the ping due at the same instant; pinging stops");
        advance(Duration.ofMinutes(5));
        assertEquals(1, timeouts());
        assertNull(ch.readOutbound());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void aPongClearsTheDeadlineWhichRunsFromTheOldestUnansweredPing() {
        ch.pipeline().fireUserEventTriggered(ClientHandshakeStateEvent.HANDSHAKE_COMPLETE);
        advance(Duration.ofSeconds(30));
        assertPingWritten();
        advance(Duration.ofSeconds(15)); // t = 45 s
        ch.writeInbound(ServerMessage.PONG);
        assertEquals(1, pongs);
        assertEquals(List.of(ServerMessage.PONG), passedOn, "pongs are passed on to the connection handler");
        advance(Duration.ofSeconds(15)); // t = 60 s: second ping
        assertPingWritten();
        advance(Duration.ofSeconds(30)); // t = 90 s: third ping, and the second is 30 s old
        assertEquals(1, timeouts());
        assertEquals(2, pings);
        assertEquals(List.of(ClientHandshakeStateEvent.HANDSHAKE_COMPLETE, HeartbeatHandler.TIMEOUT), events);
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void aProbingHeartbeatPingsAtOnceAndDropsASilentServerAfterThePongTimeout() {
        ch.finishAndReleaseAll();
        events.clear();
        setUp(true);
        ch.pipeline().fireUserEventTriggered(ClientHandshakeStateEvent.HANDSHAKE_COMPLETE);
        assertPingWritten(); // t = 0: the probe (§4 has no greeting)
        advance(Duration.ofMillis(29_999));
        assertEquals(0, timeouts());
        assertNull(ch.readOutbound());
        advance(Duration.ofMillis(1)); // t = 30 s: the probe is 30 s old
        assertEquals(1, timeouts());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void aProbeAnsweredKeepsTheRegularRhythm() {
        ch.finishAndReleaseAll();
        setUp(true);
        ch.pipeline().fireUserEventTriggered(ClientHandshakeStateEvent.HANDSHAKE_COMPLETE);
        assertPingWritten();
        ch.writeInbound(ServerMessage.PONG);
        advance(Duration.ofMillis(29_999));
        assertNull(ch.readOutbound());
        advance(Duration.ofMillis(1));
        assertPingWritten();
        assertEquals(2, pings);
        assertEquals(0, timeouts());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void stopsWhenTheChannelCloses() {
        ch.pipeline().fireUserEventTriggered(ClientHandshakeStateEvent.HANDSHAKE_COMPLETE);
        advance(Duration.ofSeconds(30));
        assertPingWritten();
        ch.close();
        advance(Duration.ofMinutes(5));
        assertEquals(0, timeouts());
        assertEquals(1, pings);
        assertFalse(ch.finishAndReleaseAll());
    }
}
