package io.herald.loadtest.cli;

import io.herald.loadtest.EventClock;
import io.herald.loadtest.LoadTest;
import io.herald.loadtest.client.Fleet;
import io.herald.loadtest.report.ProgressReporter;
import io.herald.loadtest.report.Reports;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code fanout}: N subscribed clients, a publisher at a fixed rate, and the publish-to-receive latency of every
 * delivery. Exits 1 when a client did not connect, an event was lost, duplicated or reordered, or anything failed.
 */
@Command(name = "fanout", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Ramps N clients over T topics, confirms every subscription, then publishes at --rate for "
                + "--duration and measures publish->receive latency, gaps and errors.",
                "Writes DIR/summary.json, DIR/latency.hgrm and DIR/latency.html; exits 1 on any gap, loss, error or "
                        + "client that did not connect."})
public final class FanoutCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    FleetOptions fleetOptions;

    @Mixin
    PublishOptions publishOptions;

    @Option(names = "--duration", defaultValue = "30s", paramLabel = "DURATION", converter = Durations.class,
            description = "How long to publish after the warm-up. Default: ${DEFAULT-VALUE}.")
    Duration duration;

    @Option(names = "--warmup", defaultValue = "0s", paramLabel = "DURATION", converter = Durations.class,
            description = "Publish this long first without measuring (JIT, pools). Default: ${DEFAULT-VALUE}.")
    Duration warmup;

    @Option(names = "--drain", defaultValue = "5s", paramLabel = "DURATION", converter = Durations.class,
            description = "After publishing, wait at most this long for deliveries in flight. Default: ${DEFAULT-VALUE}.")
    Duration drain;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Duration runLength = fleetOptions.rampTimeout().plus(warmup).plus(duration).plus(drain);
        try (Harness h = new Harness(fleetOptions, publishOptions, false, runLength)) {
            return run(h, out);
        }
    }

    private int run(Harness h, PrintWriter out) throws Exception {
        h.checkLimits(out);
        out.println(h.describe("fanout") + ", " + publishOptions.rate + " events/s of " + publishOptions.payload
                + " B for " + duration.toMillis() / 1000.0 + "s" + (warmup.isZero() ? "" : " after " + warmup.toMillis()
                / 1000.0 + "s warm-up") + " -> " + publishOptions.publish);
        out.flush();
        Fleet fleet = h.fleet;
        ProgressReporter progress = new ProgressReporter(out, h.stats, fleet);
        progress.start();
        Fleet.RampResult ramp = fleet.ramp(fleetOptions.rampTimeout());
        out.printf("ramp: %d/%d subscribed in %.1fs (%.0f handshakes/s)%n", ramp.subscribed(), fleet.size(),
                ramp.seconds(), ramp.handshakesPerSecond());
        out.flush();

        int[] subscribers = fleet.subscribedPerTopic();
        long start = EventClock.now();
        h.stats.measureFrom(start + warmup.toNanos());
        long publishStarted = System.nanoTime();
        if (ramp.subscribed() > 0) {
            h.publisher.run(start, warmup, duration);
        } else {
            out.println("no client subscribed: not publishing");
        }
        double publishSeconds = Math.max(1e-3, (System.nanoTime() - publishStarted) / 1e9 - warmup.toMillis() / 1000.0);

        long[] events = h.publisher.measuredPerTopic();
        long expected = 0;
        long measuredEvents = 0;
        for (int t = 0; t < events.length; t++) {
            expected += events[t] * subscribers[t];
            measuredEvents += events[t];
        }
        long drainUntil = System.nanoTime() + drain.toNanos();
        while (h.stats.deliveries() < expected && System.nanoTime() < drainUntil) {
            Thread.sleep(10);
        }
        progress.stop();
        int stillSubscribed = fleet.subscribed();
        fleet.closeAll(Duration.ofSeconds(5));

        Histogram latency = progress.total();
        long deliveries = h.stats.deliveries();
        Map<String, Object> s = h.deliverySummary("fanout", ramp.subscribed(), publishSeconds, latency);
        s.put("rate_per_s", publishOptions.rate);
        s.put("payload_bytes", publishOptions.payload);
        s.put("duration_s", Durations.seconds(duration));
        s.put("warmup_s", Durations.seconds(warmup));
        s.put("stamp", publishOptions.stamp.name().toLowerCase());
        s.put("events_published", measuredEvents);
        s.put("warmup_events", h.publisher.warmupEvents());
        s.put("expected_deliveries", expected);
        s.put("undelivered", Math.max(0, expected - deliveries));
        s.put("missing_events", h.stats.missing());
        s.put("duplicates", h.stats.duplicates());
        s.put("out_of_order", h.stats.outOfOrder());
        s.put("warmup_deliveries", h.stats.warmupDeliveries());
        s.put("subscribed_at_end", stillSubscribed);
        s.put("closes", h.stats.closes());
        s.put("close_codes", h.stats.closeCodes());
        s.put("errors_by_kind", h.stats.errorsByKind());
        s.put("publish_failed_requests", h.publisher.failedRequests());
        s.put("publish_request_ms", Harness.briefMs(h.publisher.requestTimes()));
        s.put("publisher_max_lag_ms", Math.round(h.publisher.maxLag().toNanos() / 1e3) / 1000.0);
        s.put("ramp_s", Math.round(ramp.seconds() * 1000) / 1000.0);
        s.put("handshakes_per_s", Math.round(ramp.handshakesPerSecond()));
        s.put("subscribe_ms", Harness.briefMs(fleet.subscribeTimes()));
        boolean ok = ramp.subscribed() == fleet.size() && h.stats.gaps() == 0 && h.stats.errors() == 0
                && deliveries == expected && h.stats.duplicates() == 0 && h.stats.outOfOrder() == 0;
        s.put("ok", ok);
        if (h.publisher.firstFailure() != null) {
            s.put("first_publish_failure", h.publisher.firstFailure());
        }
        if (!fleet.notes().isEmpty()) {
            s.put("first_errors", fleet.notes());
        }
        s.put("finished_at", Instant.now().toString());

        String title = "fanout " + fleetOptions.dialect.name().toLowerCase() + ": " + fleet.size() + " clients, "
                + fleetOptions.topics + " topics, " + publishOptions.rate + " events/s, " + publishOptions.payload
                + " B, " + Durations.seconds(duration) + " s";
        Reports.write(fleetOptions.report, title, s, latency, progress.timeline());
        out.print(Reports.console(s));
        out.println((ok ? "PASS" : "FAIL") + ": report in " + fleetOptions.report.toAbsolutePath());
        out.flush();
        return ok ? 0 : LoadTest.EXIT_FOUND_PROBLEM;
    }
}
