package io.herald.loadtest.report;

import io.herald.loadtest.client.Fleet;
import org.HdrHistogram.Histogram;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Once a second: collects the interval latency histogram, adds it to the run's total, prints one progress line,
 * and keeps the second for the plot. The only reader of {@link DeliveryStats#interval()}.
 */
public final class ProgressReporter {
    /** One second of a run; latencies in milliseconds. */
    public record Second(double elapsedS, int connected, int subscribed, long deliveries, double p50, double p99,
                         double max, long gaps, long forceSync, long errors) {
    }

    private final PrintWriter out;
    private final DeliveryStats stats;
    private final Fleet fleet;
    private final Histogram total = new Histogram(DeliveryStats.HIGHEST_MICROS, 3);
    private final List<Second> timeline = new ArrayList<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "loadtest-progress");
        t.setDaemon(true);
        return t;
    });
    private long startNanos;
    private long lastNanos;
    private long lastDeliveries;

    public ProgressReporter(PrintWriter out, DeliveryStats stats, Fleet fleet) {
        this.out = out;
        this.stats = stats;
        this.fleet = fleet;
    }

    public void start() {
        startNanos = System.nanoTime();
        lastNanos = startNanos;
        timer.scheduleAtFixedRate(() -> tick(true), 1, 1, TimeUnit.SECONDS);
    }

    /** Stops the timer and collects what arrived since its last tick (without printing it). */
    public void stop() throws InterruptedException {
        timer.shutdownNow();
        timer.awaitTermination(5, TimeUnit.SECONDS);
        tick(false);
    }

    private synchronized void tick(boolean print) {
        long now = System.nanoTime();
        DeliveryStats.Interval interval = stats.interval();
        total.add(interval.measured());
        Histogram h = interval.all();
        long delivered = stats.deliveries() + stats.warmupDeliveries();
        double seconds = Math.max(1e-3, (now - lastNanos) / 1e9);
        long perSecond = Math.round((delivered - lastDeliveries) / seconds);
        lastDeliveries = delivered;
        lastNanos = now;
        if (!print) {
            return;
        }
        Second s = new Second((now - startNanos) / 1e9, fleet.connected(), fleet.subscribed(), perSecond,
                ms(h.getValueAtPercentile(50)), ms(h.getValueAtPercentile(99)), ms(h.getMaxValue()),
                stats.gaps(), stats.forceSyncs(), stats.errors());
        timeline.add(s);
        out.println(String.format(Locale.ROOT,
                "[%5.0fs] connected %d/%d  subscribed %d  deliveries/s %8d  p50 %8.3f ms  p99 %8.3f ms  gaps %d  "
                        + "force_sync %d  errors %d",
                s.elapsedS(), s.connected(), fleet.size(), s.subscribed(), s.deliveries(), s.p50(), s.p99(), s.gaps(),
                s.forceSync(), s.errors()));
        out.flush();
    }

    /** Every latency recorded (microseconds); complete after {@link #stop()}. */
    public synchronized Histogram total() {
        return total.copy();
    }

    public synchronized List<Second> timeline() {
        return List.copyOf(timeline);
    }

    static double ms(long micros) {
        return micros / 1000.0;
    }
}
