package io.herald.protocol;

import io.herald.metrics.Stats;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * §8.3's bound on a {@link WebSocketTransport} over an EmbeddedChannel. A {@link StalledSocket} stands in for a
 * socket whose send buffer is full: it holds every write until the test lets it "take" some, which is what the
 * transport reports to the bound.
 */
class OutboundBoundTest {
    static final int LIMIT = 3;

    /** Holds writes like a full socket; {@link #take} lets them through as the socket drains. */
    static final class StalledSocket extends ChannelOutboundHandlerAdapter {
        final ArrayDeque<Object[]> held = new ArrayDeque<>();
        ChannelHandlerContext ctx;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            held.add(new Object[] {msg, promise});
        }

        @Override
        public void flush(ChannelHandlerContext ctx) {
            // nothing reaches the wire until take()
        }

        void take(int n) {
            for (int i = 0; i < n && !held.isEmpty(); i++) {
                Object[] w = held.poll();
                ctx.write(w[0], (ChannelPromise) w[1]);
            }
            ctx.flush();
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            for (Object[] w : held) { // a closing channel fails and frees what never went out
                ReferenceCountUtil.release(w[0]);
                ((ChannelPromise) w[1]).tryFailure(new java.nio.channels.ClosedChannelException());
            }
            held.clear();
        }
    }

    final Stats stats = new Stats();
    final List<String> forceSyncs = new ArrayList<>();
    final List<Boolean> closes = new ArrayList<>();
    final StalledSocket socket = new StalledSocket();
    final EmbeddedChannel ch = new EmbeddedChannel();
    final WebSocketTransport transport = new WebSocketTransport(ch, 2_000);
    final OutboundBound bound = new OutboundBound(
            new ConnectionPolicy(LIMIT, Duration.ofSeconds(10), Duration.ofSeconds(90), 50, 100, 100, Duration.ofSeconds(2)),
            stats, new OutboundBound.SlowConsumer() {
                @Override
                public ByteBuf forceSyncFrame(String topic) {
                    forceSyncs.add(topic);
                    return Unpooled.copiedBuffer("force_sync:" + topic, StandardCharsets.UTF_8);
                }

                @Override
                public void closeSlowConsumer(boolean now) {
                    closes.add(now);
                }
            }, ch.eventLoop());

    {
        ch.pipeline().addLast(socket, transport);
        transport.bind(new Transport.Owner() {
            @Override
            public io.netty.util.concurrent.EventExecutor eventLoop() {
                return ch.eventLoop();
            }

            @Override
            public void taken(Outbound.Kind kind, int bytes) {
                bound.taken(transport, kind, bytes);
            }

            @Override
            public void overrun() {
                bound.overrun();
            }

            @Override
            public void transportClosed(Transport t) {
            }
        });
    }

    boolean event(String topic, ByteBuf frame) {
        return bound.event(transport, topic, frame);
    }

    void reply(ByteBuf frame) {
        bound.reply(transport, new Outbound.Reply(frame));
    }

    @AfterEach
    void close() {
        ch.finishAndReleaseAll();
    }

    static ByteBuf frame(String text) {
        return Unpooled.copiedBuffer(text, StandardCharsets.UTF_8);
    }

    List<String> wire() {
        return wire(ch);
    }

    /** The text of every buffer written to {@code ch}'s socket so far, each released. */
    static List<String> wire(EmbeddedChannel ch) {
        List<String> out = new ArrayList<>();
        Object o;
        while ((o = ch.readOutbound()) != null) {
            out.add(((ByteBuf) o).toString(StandardCharsets.UTF_8));
            ReferenceCountUtil.release(o);
        }
        return out;
    }

    @Test
    void countsEventFramesUntilTheSocketTakesThem() {
        for (int i = 0; i < LIMIT; i++) {
            assertTrue(event("share:s1", frame("e" + i)));
        }
        assertEquals(LIMIT, bound.outstanding());
        socket.take(2);
        assertEquals(1, bound.outstanding());
        assertEquals(List.of("e0", "e1"), wire());
        assertTrue(event("share:s1", frame("e3")), "room again after the socket drained");
        socket.take(10);
        assertEquals(0, bound.outstanding());
        assertEquals(List.of("e2", "e3"), wire());
        assertFalse(bound.isSlowConsumer());
        assertEquals(0, stats.dropped());
    }

    @Test
    void pastTheLimitEveryEventIsDroppedAndReleasedWithOneForceSyncPerLostTopic() {
        for (int i = 0; i < LIMIT; i++) {
            event("share:s1", frame("e" + i));
        }
        ByteBuf dropped = frame("dropped");
        assertFalse(event("share:s1", dropped));
        assertEquals(0, dropped.refCnt(), "a dropped frame is released at once");
        assertTrue(bound.isSlowConsumer());
        socket.take(1); // the socket drains a little: still slow, every later event is dropped too
        ByteBuf later = frame("later");
        assertFalse(event("share:s1", later));
        assertEquals(0, later.refCnt());
        assertFalse(event("share:s2", frame("other share")));
        assertFalse(event("share:s2", frame("other share again")));
        assertEquals(List.of("share:s1", "share:s2"), forceSyncs, "one force_sync per topic that lost events");
        assertEquals(4, stats.dropped());
        assertEquals(1, stats.slowConsumerCloses());
        assertEquals(List.of(), closes, "not closed before the force_sync frames are written");

        socket.take(100);
        ch.runPendingTasks();
        assertEquals(List.of("e0", "e1", "e2", "force_sync:share:s1", "force_sync:share:s2"), wire());
        assertEquals(List.of(false), closes, "closed 4408 once the force_sync frames are written");
    }

    /** A transport that cannot stop reading its client (long-polling): the bound ends the connection instead. */
    @Test
    void aTransportThatCannotPauseEndsTheConnectionAsASlowConsumer() {
        Transport cannotPause = new Transport() {
            @Override
            public io.netty.util.concurrent.EventExecutor eventLoop() {
                return ch.eventLoop();
            }

            @Override
            public io.netty.buffer.ByteBufAllocator alloc() {
                return ch.alloc();
            }

            @Override
            public void bind(Owner owner) {
            }

            @Override
            public boolean isOpen() {
                return true;
            }

            @Override
            public void writeEvent(String topic, ByteBuf frame) {
                frame.release();
            }

            @Override
            public void write(Outbound reply) {
                reply.release();
            }

            @Override
            public void flush() {
            }

            @Override
            public void writeUncounted(Object frame) {
                io.netty.util.ReferenceCountUtil.release(frame);
            }

            @Override
            public boolean pauseReads(boolean paused) {
                return false;
            }

            @Override
            public long pendingBytes() {
                return 0;
            }

            @Override
            public void close(Disconnect why) {
            }

            @Override
            public void fail(Disconnect why) {
            }
        };
        for (int i = 0; i < LIMIT; i++) {
            bound.reply(cannotPause, new Outbound.Reply(frame("pong")));
        }
        assertEquals(List.of(false), closes, "closed 4408 at the bound, nothing queued past it");
        assertEquals(1, stats.slowConsumerCloses());
    }

    @Test
    void aConsumerThatNeverDrainsIsClosedAfterTheGracePeriod() {
        for (int i = 0; i <= LIMIT; i++) {
            event("share:s1", frame("e" + i));
        }
        assertTrue(bound.isSlowConsumer());
        ch.advanceTimeBy(9, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertEquals(List.of(), closes);
        ch.advanceTimeBy(2, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertEquals(List.of(true), closes, "dropped without waiting for the socket after 10 s");
    }

    @Test
    void framesHeldWhenTheChannelClosesAreReleasedAndUncounted() {
        for (int i = 0; i < LIMIT; i++) {
            event("share:s1", frame("e" + i));
        }
        ch.close();
        ch.runPendingTasks();
        assertEquals(0, bound.outstanding(), "failed writes count as gone");
    }

    @Test
    void repliesCountAgainstTheBoundAndPauseReadingUntilTheSocketTakesThem() {
        // §8.3: the bound covers replies too. A client that keeps asking and never reads stops being read.
        int size = OutboundBound.REPLY_BYTES / 4;
        int written = 0;
        while (!bound.readsPaused()) {
            reply(frame("r".repeat(size)));
            written++;
            assertTrue(written <= 4, "reads pause by " + OutboundBound.REPLY_BYTES + " reply bytes");
        }
        assertFalse(ch.config().isAutoRead(), "the channel stops reading");
        assertEquals(written * size, bound.replyBytes());
        socket.take(1);
        assertFalse(ch.config().isAutoRead(), "still more than half the bound waiting");
        socket.take(10);
        assertEquals(0, bound.replyBytes());
        assertTrue(ch.config().isAutoRead(), "reading resumes once the socket drained");
        assertEquals(written, wire().size(), "no reply is dropped");
    }

    @Test
    void manySmallRepliesPauseReadingAtTheFrameBoundToo() {
        for (int i = 0; i < LIMIT; i++) {
            reply(frame("pong"));
        }
        assertFalse(ch.config().isAutoRead(), LIMIT + " frames waiting: the send buffer is full");
        assertEquals(LIMIT, bound.outstanding());
        assertFalse(event("share:s1", frame("e")), "events meet the same bound");
        socket.take(LIMIT);
        assertTrue(ch.config().isAutoRead());
        wire();
    }
}
