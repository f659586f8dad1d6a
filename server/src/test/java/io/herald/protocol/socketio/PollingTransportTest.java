package io.herald.protocol.socketio;

import io.herald.protocol.Disconnect;
import io.herald.protocol.Outbound;
import io.herald.protocol.TextFrames;
import io.herald.protocol.Transport;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.util.concurrent.EventExecutor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Engine.IO long-polling as a transport (§7), on an EmbeddedChannel's loop: the typed queue, polls and posts, the
 * answers the reference gives, lingering last words, and the hand-over of an upgrade.
 */
class PollingTransportTest {
    static final char SEP = '\u001e';

    final EmbeddedChannel ch = new EmbeddedChannel();
    final List<String> forgotten = new ArrayList<>();
    final List<String> packets = new ArrayList<>();
    final List<String> taken = new ArrayList<>();
    final List<String> events = new ArrayList<>();
    final PollingTransport t = new PollingTransport(ch.eventLoop(), ch.alloc(), new PollingTransport.Host() {
        @Override
        public void forget(String sid, PollingTransport transport) {
            forgotten.add(sid);
        }

        @Override
        public void closedByClient(String sid) {
            events.add("closedByClient");
        }

        @Override
        public void pollArrived(String sid) {
            events.add("pollArrived");
        }

        @Override
        public Duration linger() {
            return Duration.ofSeconds(45);
        }
    });

    {
        t.serve("sid1", packets::add);
        t.bind(new Transport.Owner() {
            @Override
            public EventExecutor eventLoop() {
                return ch.eventLoop();
            }

            @Override
            public void taken(Outbound.Kind kind, int bytes) {
                taken.add(kind + ":" + bytes);
            }

            @Override
            public void overrun() {
                events.add("overrun");
            }

            @Override
            public void transportClosed(Transport transport) {
                events.add("closed");
            }
        });
    }

    /** What a poll or post was answered. */
    static final class Answer implements PollingTransport.Reply {
        final List<String> got = new ArrayList<>();
        Runnable abandoned;
        /** The client left: an answer no longer reaches it. */
        boolean gone;

        @Override
        public boolean ok(String body) {
            if (gone) {
                return false;
            }
            got.add("200 " + body);
            return true;
        }

        @Override
        public void okAndClose(String body) {
            got.add("200 close " + body);
        }

        @Override
        public void error(int code) {
            got.add("400 " + code);
        }

        @Override
        public void onAbandoned(Runnable r) {
            abandoned = r;
        }
    }

    @AfterEach
    void close() {
        t.fail(Disconnect.GOING_AWAY);
        ch.finishAndReleaseAll();
    }

    static ByteBuf text(String s) {
        return TextFrames.text(io.netty.buffer.ByteBufAllocator.DEFAULT, s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aPollWaitsUntilSomethingIsWrittenThenTakesEverythingQueued() {
        Answer poll = new Answer();
        t.poll(poll);
        assertEquals(List.of(), poll.got, "held open while nothing waits");
        t.writeEvent("user:a", text("42[\"e1\"]"));
        t.write(new Outbound.Reply(text("3")));
        t.writeEvent("user:a", text("42[\"e2\",{\"x\":\"é\"}]"));
        assertEquals(List.of(), poll.got, "nothing goes before the connection flushes");
        assertTrue(t.pendingBytes() > 0);
        t.flush();
        assertEquals(List.of("200 42[\"e1\"]" + SEP + "3" + SEP + "42[\"e2\",{\"x\":\"é\"}]"), poll.got);
        assertEquals(List.of("EVENT:0", "REPLY:3", "EVENT:0"), taken, "each frame reported taken once polled, replies with the bytes counted");
        assertEquals(0, t.pendingBytes());
    }

    @Test
    void framesAnsweredToAPollWhoseClientLeftStayQueuedForTheNextOne() {
        // the client's channel closed while the answer was on its way: nothing may be lost (§10)
        Answer gone = new Answer();
        gone.gone = true;
        t.poll(gone);
        t.writeEvent("user:a", text("42[\"e1\"]"));
        t.flush();
        assertEquals(List.of(), taken, "not taken: it never reached the client");
        Answer next = new Answer();
        t.poll(next);
        assertEquals(List.of("200 42[\"e1\"]"), next.got);
        assertEquals(List.of("EVENT:0"), taken);
    }

    @Test
    void aPollAnswersAtOnceWhenSomethingWaits() {
        t.write(new Outbound.Reply(text("40{\"sid\":\"x\"}")));
        Answer poll = new Answer();
        t.poll(poll);
        assertEquals(List.of("200 40{\"sid\":\"x\"}"), poll.got);
    }

    @Test
    void twoPollsAtOnceEndTheSessionAsTheReferenceDoes() {
        Answer first = new Answer();
        Answer second = new Answer();
        t.poll(first);
        t.poll(second);
        assertEquals(List.of("200 close 1"), first.got);
        assertEquals(List.of("400 3"), second.got);
        assertEquals(List.of("closed"), events);
        assertEquals(List.of("sid1"), forgotten);
    }

    @Test
    void anAbandonedPollIsForgottenAndTheNextOneServed() {
        Answer gone = new Answer();
        t.poll(gone);
        gone.abandoned.run();
        ch.runPendingTasks();
        Answer next = new Answer();
        t.poll(next);
        t.write(new Outbound.Reply(text("2")));
        t.flush();
        assertEquals(List.of(), gone.got);
        assertEquals(List.of("200 2"), next.got);
    }

    @Test
    void aPostsPacketsGoOnInOrderAfterTheBodyIsCheckedWhole() {
        Answer post = new Answer();
        t.post(post, "3" + SEP + "40{\"token\":\"t\"}" + SEP + "2probe");
        assertEquals(List.of("200 ok"), post.got);
        assertEquals(List.of("3", "40{\"token\":\"t\"}", "2probe"), packets);
    }

    @Test
    void aMalformedPostIsRefusedWholeAndEndsTheSession() {
        Answer post = new Answer();
        t.post(post, "3" + SEP + SEP + "x");
        assertEquals(List.of("400 3"), post.got);
        assertEquals(List.of(), packets, "no packet of a bad body is handled");
        assertEquals(List.of("closed"), events);
    }

    @Test
    void aPostWhileRepliesAreNotTakenEndsTheSessionAsASlowConsumer() {
        // §8.3: the connection's bound paused reading; long-polling cannot stop a client from posting
        assertTrue(t.pauseReads(true));
        Answer post = new Answer();
        t.post(post, "2");
        assertEquals(List.of("400 3"), post.got);
        assertEquals(List.of("overrun"), events);
        assertEquals(List.of(), packets);
    }

    @Test
    void theRestOfAPostIsNotReadOnceTheBoundPausesReading() {
        Answer post = new Answer();
        List<String> handled = new ArrayList<>();
        t.serve("sid1", p -> {
            handled.add(p);
            if (handled.size() == 2) {
                t.pauseReads(true); // what the bound does when the second answer fills it
            }
        });
        t.post(post, "2" + SEP + "2" + SEP + "2" + SEP + "2");
        assertEquals(2, handled.size());
        assertEquals(List.of("overrun"), events);
    }

    @Test
    void unauthorizedWithQueuedPacketsLingersUntilTheNextPollTakesThem() {
        t.write(new Outbound.Reply(text("44{\"message\":\"unauthorized\"}")));
        t.close(Disconnect.UNAUTHORIZED);
        assertFalse(t.isOpen(), "no more writes");
        assertEquals(List.of(), events, "not over before the last word was polled");
        Answer post = new Answer();
        t.post(post, "3");
        assertEquals(List.of("400 1"), post.got, "an ending session takes no more packets");
        Answer poll = new Answer();
        t.poll(poll);
        assertEquals(List.of("200 44{\"message\":\"unauthorized\"}"), poll.got);
        assertEquals(List.of("closed"), events);
    }

    @Test
    void lastWordsNobodyPollsAreDroppedAfterTheLinger() {
        t.write(new Outbound.Reply(text("42[\"force_sync\"]")));
        t.close(Disconnect.SLOW_CONSUMER);
        ch.advanceTimeBy(46, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertEquals(List.of("closed"), events);
        assertEquals(0, t.pendingBytes(), "released");
    }

    @Test
    void eventsQueuedWhenTheSessionEndsStillGoOutWithTheNextPoll() {
        // §10: as a WebSocket's frames go out before its close frame, none is lost silently
        t.writeEvent("user:a", text("42[\"kept\"]"));
        t.close(Disconnect.RATE_LIMITED);
        Answer poll = new Answer();
        t.poll(poll);
        assertEquals(List.of("200 42[\"kept\"]"), poll.got);
        assertEquals(List.of("closed"), events);
    }

    @Test
    void aSecondCloseEndsALingeringSessionAtOnce() {
        t.writeEvent("user:a", text("42[\"e\"]"));
        t.close(Disconnect.TOKEN_EXPIRED);
        assertEquals(List.of(), events);
        t.close(Disconnect.GOING_AWAY); // the drain (§8.6)
        assertEquals(List.of("closed"), events);
        assertEquals(0, t.pendingBytes());
    }

    @Test
    void closingAnswersAWaitingPollWithANoop() {
        Answer poll = new Answer();
        t.poll(poll);
        t.close(Disconnect.TOKEN_EXPIRED);
        assertEquals(List.of("200 close 6"), poll.got);
        assertEquals(List.of("closed"), events);
        Answer late = new Answer();
        t.poll(late);
        assertEquals(List.of("200 close 6"), late.got, "a poll already on its way still gets a noop");
        assertEquals(List.of("closed", "pollArrived"), events, "once: the next request gets 400");
    }

    @Test
    void aClientCloseWithNoPollWaitingIsRemembered() {
        t.close(Disconnect.NORMAL);
        assertEquals(List.of("closedByClient", "closed"), events);
    }

    @Test
    void webSocketControlFramesHaveNoPlaceOnLongPolling() {
        PongWebSocketFrame pong = new PongWebSocketFrame(Unpooled.copiedBuffer("x", StandardCharsets.UTF_8));
        t.write(new Outbound.Control(pong));
        assertEquals(0, pong.refCnt(), "released");
        assertEquals(List.of("REPLY:1"), taken, "and counted as gone");
        assertEquals(0, t.pendingBytes());
    }

    @Test
    void probedPollsEndWithANoopSoTheClientCanUpgrade() {
        Answer poll = new Answer();
        t.poll(poll);
        t.probed();
        ch.advanceTimeBy(20, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertEquals(List.of("200 6"), poll.got);
    }

    @Test
    void handOverGivesWhatNobodyPolledInOrderAndStopsServingTheSid() {
        Answer poll = new Answer();
        t.write(new Outbound.Reply(text("2")));
        t.writeEvent("user:a", text("42[\"e1\"]"));
        List<Outbound> left = t.handOver();
        assertEquals(2, left.size());
        assertTrue(left.get(0) instanceof Outbound.Reply);
        assertEquals("user:a", ((Outbound.Event) left.get(1)).topic());
        left.forEach(Outbound::release);
        assertEquals(List.of("sid1"), forgotten);
        assertEquals(List.of(), events, "the connection goes on elsewhere: not closed");
        t.poll(poll);
        assertEquals(List.of("200 close 6"), poll.got);
    }

    @Test
    void aPostIsAnsweredOnceItsPacketsWereHandled() {
        // as the reference: a client that closed with "1" and polls again must find the session gone
        Answer post = new Answer();
        t.serve("sid1", p -> {
            packets.add(p);
            t.close(Disconnect.NORMAL);
        });
        t.post(post, "1");
        assertEquals(List.of("closedByClient", "closed"), events);
        assertEquals(List.of("200 ok"), post.got);
    }
}
