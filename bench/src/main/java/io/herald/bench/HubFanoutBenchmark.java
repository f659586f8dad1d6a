package io.herald.bench;

import io.herald.hub.Envelope;
import io.herald.hub.EnvelopeException;
import io.herald.hub.EnvelopeParser;
import io.herald.hub.FrameRenderer;
import io.herald.hub.Hub;
import io.herald.hub.InterestListener;
import io.herald.hub.Subscriber;
import io.herald.metrics.Stats;
import io.herald.protocol.Endpoint;
import io.herald.protocol.realtime.RealtimeDialect;
import io.herald.protocol.sync.SyncDialect;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.DefaultEventLoop;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One publication fanned out through the {@link Hub} to {@code subscribers} subscribers of one share, spread
 * over {@code loops} event loops: render once per dialect, one task per loop, a {@code retainedDuplicate()}
 * per subscriber. Measures {@link Hub#publish} until every subscriber has its frame. The subscribers are
 * fakes without sockets, so this is the hub's own cost per publication, not the network's. With {@code deflate}
 * every subscriber takes the compressed copy, made once per publication.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class HubFanoutBenchmark {
    @Param({"1", "100", "10000"})
    public int subscribers;

    @Param({"64", "512", "4096"})
    public int payload;

    @Param({"1", "2"})
    public int loops;

    /** Subscribers agreed to permessage-deflate (RFC 7692): the publication is compressed once for all of them. */
    @Param({"false", "true"})
    public boolean deflate;

    /** Loops whose subscribers have not all received the current publication. */
    private final AtomicInteger pendingLoops = new AtomicInteger();
    private final List<DefaultEventLoop> eventLoops = new ArrayList<>();
    private final List<LoopTally> tallies = new ArrayList<>();
    private Hub hub;
    private Envelope envelope;

    /** Counts one loop's deliveries of the current publication; touched only on that loop. */
    private final class LoopTally {
        int expected;
        int seen;

        void delivered() {
            if (++seen == expected) {
                seen = 0;
                pendingLoops.decrementAndGet();
            }
        }
    }

    /** A connection without a socket: takes the frame, counts it, releases it. */
    private static final class CountingSubscriber implements Subscriber {
        private final EventExecutor loop;
        private final LoopTally tally;
        private final Set<String> topics = new HashSet<>();
        private final boolean deflates;

        CountingSubscriber(EventExecutor loop, LoopTally tally, boolean deflates) {
            this.loop = loop;
            this.tally = tally;
            this.deflates = deflates;
        }

        @Override
        public boolean deflates() {
            return deflates;
        }

        @Override
        public EventExecutor eventLoop() {
            return loop;
        }

        @Override
        public int rendererSlot() {
            return Endpoint.REALTIME.ordinal();
        }

        @Override
        public Set<String> topics() {
            return topics;
        }

        @Override
        public boolean deliver(String topic, ByteBuf frame) {
            frame.release();
            tally.delivered();
            return true;
        }
    }

    @Setup(Level.Trial)
    public void setup() throws EnvelopeException, InterruptedException {
        // The renderer slots of Herald's Gateway: one per endpoint, sync and realtime rendering.
        List<FrameRenderer> renderers = new ArrayList<>();
        for (Endpoint e : Endpoint.values()) {
            renderers.add(switch (e) {
                case SYNC -> new SyncDialect();
                case REALTIME -> new RealtimeDialect(Clock.systemUTC());
                default -> (env, alloc) -> null;
            });
        }
        hub = new Hub(renderers, new InterestListener() {
            @Override
            public CompletionStage<Void> firstSubscriber(String topic) {
                return CompletableFuture.completedFuture(null);
            }

            @Override
            public void lastSubscriberLeft(String topic) {
            }
        }, ByteBufAllocator.DEFAULT, new Stats());
        envelope = new EnvelopeParser().parseOne(Payloads.utf8(Payloads.envelope("file_created", payload)));

        int used = Math.min(loops, subscribers);
        for (int i = 0; i < used; i++) {
            eventLoops.add(new DefaultEventLoop(new DefaultThreadFactory("bench-loop-" + i, true)));
            tallies.add(new LoopTally());
        }
        for (int i = 0; i < subscribers; i++) {
            int slot = i % used;
            tallies.get(slot).expected++;
            CountingSubscriber s = new CountingSubscriber(eventLoops.get(slot), tallies.get(slot), deflate);
            eventLoops.get(slot).submit(() -> hub.subscribe(s, Payloads.TOPIC)).sync();
        }
    }

    @Benchmark
    public void publishToAll() {
        pendingLoops.set(tallies.size());
        hub.publish(envelope);
        // The loops need the cores more than this thread does (2-core machines): spin briefly, then yield.
        for (int spins = 0; pendingLoops.get() != 0; spins++) {
            if (spins < 100) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (DefaultEventLoop loop : eventLoops) {
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
        eventLoops.clear();
        tallies.clear();
    }
}
