package io.herald.loadtest.report;

import io.netty.util.concurrent.FastThreadLocal;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Everything the clients observe. Hot-path writes are wait-free: each event-loop thread records latency into its
 * own {@link SingleWriterRecorder}, and counters are {@link LongAdder}s. One reader (the progress reporter)
 * collects the recorders' interval histograms once a second, following HdrHistogram's Recorder pattern.
 *
 * <p>Latency is recorded in microseconds, from the event's {@code "t"} to its arrival on {@code EventClock}.
 * Events stamped before {@link #measureFrom(long)} are warm-up: counted apart, and shown in the progress line
 * but kept out of the report.
 */
public final class DeliveryStats {
    /** An hour: anything later is clamped, and would be an outage rather than a latency. */
    static final long HIGHEST_MICROS = TimeUnit.HOURS.toMicros(1);
    private static final int DIGITS = 3;

    private final List<ThreadRecorders> recorders = new CopyOnWriteArrayList<>();
    private final FastThreadLocal<ThreadRecorders> recorder = new FastThreadLocal<>() {
        @Override
        protected ThreadRecorders initialValue() {
            ThreadRecorders r = new ThreadRecorders();
            recorders.add(r);
            return r;
        }
    };
    private volatile long measureFrom = Long.MIN_VALUE;

    /**
     * One thread's recorders: every delivery (for the progress line, warm-up included) and the measured ones (for
     * the report), each with the interval histogram it hands back for reuse (only to the recorder it came from).
     */
    private static final class ThreadRecorders {
        final SingleWriterRecorder all = new SingleWriterRecorder(HIGHEST_MICROS, DIGITS);
        final SingleWriterRecorder measured = new SingleWriterRecorder(HIGHEST_MICROS, DIGITS);
        Histogram allRecycle;
        Histogram measuredRecycle;
    }

    /** Latencies (microseconds) recorded in one interval: every delivery, and those after the warm-up. */
    public record Interval(Histogram all, Histogram measured) {
    }

    private final LongAdder deliveries = new LongAdder();
    private final LongAdder warmupDeliveries = new LongAdder();
    private final LongAdder gaps = new LongAdder();
    private final LongAdder missing = new LongAdder();
    private final LongAdder duplicates = new LongAdder();
    private final LongAdder outOfOrder = new LongAdder();
    private final LongAdder forceSync = new LongAdder();
    private final LongAdder recovered = new LongAdder();
    private final LongAdder notRecovered = new LongAdder();
    private final LongAdder closes = new LongAdder();
    private final Map<ErrorKind, LongAdder> errors = new EnumMap<>(ErrorKind.class);
    private final Map<Integer, LongAdder> closeCodes = new ConcurrentHashMap<>();

    public DeliveryStats() {
        for (ErrorKind k : ErrorKind.values()) {
            errors.put(k, new LongAdder());
        }
    }

    /** Events stamped (on {@code EventClock}) before {@code t} are warm-up from now on. */
    public void measureFrom(long t) {
        this.measureFrom = t;
    }

    /** An event stamped {@code sentAt} arrived at {@code now} (both {@code EventClock}). */
    public void delivered(long sentAt, long now) {
        long micros = Math.max(0, Math.min(HIGHEST_MICROS, (now - sentAt) / 1000));
        ThreadRecorders r = recorder.get();
        r.all.recordValue(micros);
        if (sentAt < measureFrom) {
            warmupDeliveries.increment();
            return;
        }
        deliveries.increment();
        r.measured.recordValue(micros);
    }

    /** A sequence jump on one client's topic that no {@code force_sync} announced; {@code lost} events skipped. */
    public void gap(long lost) {
        gaps.increment();
        missing.add(lost);
    }

    public void duplicate() {
        duplicates.increment();
    }

    /** An event older than the last one seen on that client's topic. */
    public void reordered() {
        outOfOrder.increment();
    }

    public void forceSync() {
        forceSync.increment();
    }

    /** §11: a resume the history covered: the missed events came, no {@code force_sync}. */
    public void recovered() {
        recovered.increment();
    }

    /** §11: a resume the history did not cover: {@code force_sync}. */
    public void notRecovered() {
        notRecovered.increment();
    }

    public long recoveries() {
        return recovered.sum();
    }

    public long failedRecoveries() {
        return notRecovered.sum();
    }

    /** A close the load tool did not start, with the server's close code (1006 when TCP closed without one). */
    public void closed(int code) {
        closes.increment();
        closeCodes.computeIfAbsent(code, c -> new LongAdder()).increment();
    }

    public void error(ErrorKind kind) {
        errors.get(kind).increment();
    }

    /** What was recorded since the last call, summed over the threads. Only one thread may call this. */
    public Interval interval() {
        Histogram all = new Histogram(HIGHEST_MICROS, DIGITS);
        Histogram measured = new Histogram(HIGHEST_MICROS, DIGITS);
        for (ThreadRecorders r : recorders) {
            r.allRecycle = r.all.getIntervalHistogram(r.allRecycle);
            all.add(r.allRecycle);
            r.measuredRecycle = r.measured.getIntervalHistogram(r.measuredRecycle);
            measured.add(r.measuredRecycle);
        }
        return new Interval(all, measured);
    }

    public long deliveries() {
        return deliveries.sum();
    }

    public long warmupDeliveries() {
        return warmupDeliveries.sum();
    }

    public long gaps() {
        return gaps.sum();
    }

    public long missing() {
        return missing.sum();
    }

    public long duplicates() {
        return duplicates.sum();
    }

    public long outOfOrder() {
        return outOfOrder.sum();
    }

    public long forceSyncs() {
        return forceSync.sum();
    }

    public long closes() {
        return closes.sum();
    }

    public long errors() {
        long n = 0;
        for (LongAdder a : errors.values()) {
            n += a.sum();
        }
        return n;
    }

    public long errors(ErrorKind kind) {
        return errors.get(kind).sum();
    }

    /** Non-zero error counts by kind, in declaration order. */
    public Map<String, Long> errorsByKind() {
        Map<String, Long> out = new LinkedHashMap<>();
        errors.forEach((k, v) -> {
            long n = v.sum();
            if (n > 0) {
                out.put(k.key(), n);
            }
        });
        return out;
    }

    /** Close counts by code, as strings for a JSON object. */
    public Map<String, Long> closeCodes() {
        Map<String, Long> out = new TreeMap<>();
        closeCodes.forEach((code, n) -> out.put(Integer.toString(code), n.sum()));
        return out;
    }
}
