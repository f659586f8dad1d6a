package io.herald.loadtest.cli;

import io.herald.loadtest.EventClock;
import io.herald.loadtest.LoadTest;
import io.herald.loadtest.client.Fleet;
import io.herald.loadtest.report.DeliveryStats;
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

    @Option(names = "--stalled", defaultValue = "0", paramLabel = "PCT",
            description = "This share of the clients (percent, spread over the topics) stop reading their socket when "
                    + "the measured window opens, for --stall-for, then read again: slow consumers (§8.3). Their "
                    + "events are counted apart; the latency and delivery figures are the other clients'. The report "
                    + "says how many got force_sync and were closed 4408, and any loss none announced. Default: "
                    + "${DEFAULT-VALUE}.")
    double stalledPercent;

    @Option(names = "--stall-for", defaultValue = "8s", paramLabel = "DURATION", converter = Durations.class,
            description = "How long --stalled clients stop reading. Default: ${DEFAULT-VALUE}.")
    Duration stallFor;

    @Option(names = "--drain", defaultValue = "5s", paramLabel = "DURATION", converter = Durations.class,
            description = "After publishing, wait at most this long for deliveries in flight. Default: ${DEFAULT-VALUE}.")
    Duration drain;

    /** How long, after publishing, the stalled clients get to read what is left and see their close. */
    static final Duration STALLED_CLOSE_WAIT = Duration.ofSeconds(15);

    /** What the stalled clients saw: deliveries, force_sync, closes by code, and any loss none announced. */
    private static Map<String, Object> stalledReport(Fleet fleet, int stalled, int open) {
        DeliveryStats st = fleet.stalledStats();
        int withForceSync = 0;
        int closed4408 = 0;
        for (io.herald.loadtest.client.SimulatedClient c : fleet.stalledClients()) {
            if (c.forceSyncs() > 0) {
                withForceSync++;
            }
            if (c.closeCode() == 4408) {
                closed4408++;
            }
        }
        Map<String, Object> r = new java.util.LinkedHashMap<>();
        r.put("clients", stalled);
        r.put("deliveries", st.deliveries());
        r.put("with_force_sync", withForceSync);
        r.put("closed_4408", closed4408);
        r.put("still_open", open);
        r.put("close_codes", st.closeCodes());
        r.put("errors_by_kind", st.errorsByKind());
        r.put("unannounced_gaps", st.gaps());
        r.put("duplicates", st.duplicates());
        r.put("out_of_order", st.outOfOrder());
        return r;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (stalledPercent < 0 || stalledPercent > 100) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--stalled must be 0..100");
        }
        Duration runLength = fleetOptions.rampTimeout().plus(warmup).plus(duration).plus(drain)
                .plus(stalledPercent > 0 ? STALLED_CLOSE_WAIT : Duration.ZERO);
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

        int stalled = stalledPercent > 0 ? fleet.markStalled(stalledPercent) : 0;
        int[] subscribers = fleet.subscribedPerTopic(); // the stalled ones are counted apart
        long start = EventClock.now();
        h.stats.measureFrom(start + warmup.toNanos());
        fleet.stalledStats().measureFrom(start + warmup.toNanos());
        java.util.concurrent.ScheduledExecutorService staller = null;
        if (stalled > 0) {
            out.printf("stalled: %d clients stop reading for %.1fs when the measured window opens%n", stalled,
                    stallFor.toMillis() / 1000.0);
            staller = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
            staller.schedule(() -> fleet.readStalled(false), warmup.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            staller.schedule(() -> fleet.readStalled(true), warmup.plus(stallFor).toMillis(),
                    java.util.concurrent.TimeUnit.MILLISECONDS);
        }
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
        Map<String, Object> stalledReport = null;
        if (staller != null) {
            staller.shutdown();
            staller.awaitTermination(stallFor.toMillis() + 1000, java.util.concurrent.TimeUnit.MILLISECONDS);
            fleet.readStalled(true);
            int open = fleet.awaitStalledClosed(STALLED_CLOSE_WAIT); // a slow consumer ends 4408 (§8.3)
            stalledReport = stalledReport(fleet, stalled, open);
        }
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
        // bytes the sockets read (handshakes, warm-up and control frames included) per event frame received
        long frames = deliveries + h.stats.warmupDeliveries() + fleet.stalledStats().deliveries()
                + fleet.stalledStats().warmupDeliveries();
        s.put("deflate", fleetOptions.deflate);
        s.put("wire_bytes", fleet.wireBytes());
        s.put("wire_bytes_per_delivery", frames == 0 ? 0 : Math.round(fleet.wireBytes() * 10.0 / frames) / 10.0);
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
        if (stalledReport != null) {
            s.put("stalled", stalledReport);
            // never a silent loss (§10): whatever a stalled client missed, a force_sync announced
            DeliveryStats st = fleet.stalledStats();
            ok &= st.gaps() == 0 && st.duplicates() == 0 && st.outOfOrder() == 0;
        }
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
