package io.herald.bench;

import io.herald.hub.Envelope;
import io.herald.hub.EnvelopeException;
import io.herald.hub.EnvelopeParser;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The publish API's parse (§3): {@link EnvelopeParser#parseRequest} on one envelope and on a batch of
 * {@value #BATCH} events, with {@code data} of {@code payload} bytes. Covers the batch detection pass,
 * validation and the cut-out of raw {@code data}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class EnvelopeParsingBenchmark {
    static final int BATCH = 100;

    @Param({"64", "512", "4096"})
    public int payload;

    private final EnvelopeParser parser = new EnvelopeParser();
    private byte[] single;
    private byte[] batch;

    @Setup
    public void setup() {
        single = Payloads.utf8(Payloads.envelope("file_created", payload));
        batch = Payloads.utf8(Payloads.batch("file_created", payload, BATCH));
    }

    @Benchmark
    public List<Envelope> single() throws EnvelopeException {
        return parser.parseRequest(single);
    }

    @Benchmark
    public List<Envelope> batch100() throws EnvelopeException {
        return parser.parseRequest(batch);
    }
}
