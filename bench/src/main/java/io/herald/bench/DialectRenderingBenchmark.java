package io.herald.bench;

import io.herald.hub.Envelope;
import io.herald.hub.EnvelopeException;
import io.herald.hub.EnvelopeParser;
import io.herald.protocol.realtime.RealtimeDialect;
import io.herald.protocol.sync.SyncDialect;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.time.Clock;
import java.util.concurrent.TimeUnit;

/**
 * Encode once per dialect (STYLE.md): the cost of {@code render} for one publication, frame header included,
 * with the allocator Herald's hub uses. Each frame is released at once, as the last shard would.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class DialectRenderingBenchmark {
    @Param({"64", "512", "4096"})
    public int payload;

    private final ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
    private final RealtimeDialect realtime = new RealtimeDialect(Clock.systemUTC());
    private final SyncDialect sync = new SyncDialect();
    private Envelope fileCreated;
    private Envelope change;

    @Setup
    public void setup() throws EnvelopeException {
        EnvelopeParser parser = new EnvelopeParser();
        fileCreated = parser.parseOne(Payloads.utf8(Payloads.envelope("file_created", payload)));
        change = parser.parseOne(Payloads.utf8(Payloads.envelope(SyncDialect.CHANGE, payload)));
    }

    /** §5 {@code {"type":"file_created","share_id":...,"data":...}}. */
    @Benchmark
    public int realtime() {
        return renderAndRelease(realtime.render(fileCreated, alloc));
    }

    /** §4 {@code {"event_type":"change","share_id":...,"data":...}}. */
    @Benchmark
    public int sync() {
        return renderAndRelease(sync.render(change, alloc));
    }

    private static int renderAndRelease(ByteBuf frame) {
        try {
            return frame.readableBytes();
        } finally {
            frame.release();
        }
    }
}
