package io.herald.loadtest.cli;

import io.herald.loadtest.EventClock;
import io.herald.loadtest.LoadTest;
import io.herald.loadtest.client.Backoff;
import io.herald.loadtest.client.Fleet;
import io.herald.loadtest.report.ProgressReporter;
import io.herald.loadtest.report.Reports;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code chaos}: with N subscribed clients and the publisher running, every client loses its connection (the tool
 * drops them all, or the target restarts); each reconnects with backoff and jitter and subscribes again. Reports
 * the time until all are back and every gap that no {@code force_sync} announced (§8.3, §10). Exits 1 when not all
 * came back or such a gap was seen.
 */
@Command(name = "chaos", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Connects N subscribed clients, publishes throughout, then either drops every client at once "
                + "(--mode drop) or waits for the target to restart (--mode restart). Clients reconnect with "
                + "exponential backoff and full jitter and subscribe again.",
                "Reports the time until all are re-subscribed and any gap not announced by force_sync; exits 1 when "
                        + "not all recovered or such a gap was seen."})
public final class ChaosCommand implements Callable<Integer> {
    /** What takes the connections away. */
    public enum Mode { DROP, RESTART }

    @Spec
    CommandSpec spec;

    @Mixin
    FleetOptions fleetOptions;

    @Mixin
    PublishOptions publishOptions;

    @Option(names = "--mode", defaultValue = "drop", paramLabel = "MODE",
            description = "drop: the tool closes every connection at once; restart: wait for the target to restart "
                    + "(restart it yourself, e.g. SIGTERM and start again). Default: ${DEFAULT-VALUE}.")
    Mode mode;

    @Option(names = "--before", defaultValue = "5s", paramLabel = "DURATION", converter = Durations.class,
            description = "Steady publishing before the chaos. Default: ${DEFAULT-VALUE}.")
    Duration before;

    @Option(names = "--after", defaultValue = "5s", paramLabel = "DURATION", converter = Durations.class,
            description = "Publishing after everyone is back, to check delivery resumed. Default: ${DEFAULT-VALUE}.")
    Duration after;

    @Option(names = "--restart-timeout", defaultValue = "120s", paramLabel = "DURATION", converter = Durations.class,
            description = "restart mode: how long to wait for the first close. Default: ${DEFAULT-VALUE}.")
    Duration restartTimeout;

    @Option(names = "--recovery-timeout", defaultValue = "60s", paramLabel = "DURATION", converter = Durations.class,
            description = "How long everyone may take to be subscribed again. Default: ${DEFAULT-VALUE}.")
    Duration recoveryTimeout;

    @Option(names = "--backoff-base", defaultValue = "100ms", paramLabel = "DURATION", converter = Durations.class,
            description = "First reconnect delay ceiling; doubles per failed attempt. Default: ${DEFAULT-VALUE}.")
    Duration backoffBase;

    @Option(names = "--backoff-max", defaultValue = "5s", paramLabel = "DURATION", converter = Durations.class,
            description = "Largest reconnect delay ceiling. Default: ${DEFAULT-VALUE}.")
    Duration backoffMax;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Backoff backoff = new Backoff(backoffBase, backoffMax);
        Duration runLength = fleetOptions.rampTimeout().plus(before).plus(restartTimeout).plus(recoveryTimeout).plus(after);
        try (Harness h = new Harness(fleetOptions, publishOptions, true, runLength)) {
            return run(h, backoff, runLength, out);
        }
    }

    private int run(Harness h, Backoff backoff, Duration runLength, PrintWriter out) throws Exception {
        h.checkLimits(out);
        out.println(h.describe("chaos " + mode.name().toLowerCase()) + ", " + publishOptions.rate + " events/s -> "
                + publishOptions.publish);
        out.flush();
        Fleet fleet = h.fleet;
        ProgressReporter progress = new ProgressReporter(out, h.stats, fleet);
        progress.start();
        Fleet.RampResult ramp = fleet.ramp(fleetOptions.rampTimeout());
        out.printf("ramp: %d/%d subscribed in %.1fs%n", ramp.subscribed(), fleet.size(), ramp.seconds());
        out.flush();
        fleet.reconnectWith(backoff);

        long start = EventClock.now();
        h.stats.measureFrom(start);
        long publishStarted = System.nanoTime();
        Thread publishing = new Thread(() -> h.publisher.run(start, Duration.ZERO, runLength), "loadtest-publisher");
        publishing.start();
        boolean ready = ramp.subscribed() == fleet.size();
        boolean happened = false;
        long chaosStart = 0;
        if (!ready) {
            out.println("chaos: not every client subscribed; no chaos on a fleet that did not start");
        } else {
            Thread.sleep(before.toMillis());
            fleet.armChaos();
            if (mode == Mode.DROP) {
                chaosStart = System.nanoTime();
                happened = true;
                out.println("chaos: dropping all " + fleet.subscribed() + " connections");
                out.flush();
                fleet.dropAll();
            } else {
                out.println("chaos: waiting up to " + Durations.seconds(restartTimeout) + "s for the target to restart");
                out.flush();
                long waitUntil = System.nanoTime() + restartTimeout.toNanos();
                while (fleet.firstLossNanos() == 0 && System.nanoTime() < waitUntil) {
                    Thread.sleep(20);
                }
                happened = fleet.firstLossNanos() != 0;
                chaosStart = fleet.firstLossNanos();
                out.println(happened ? "chaos: first close seen" : "chaos: the target did not restart in time");
            }
            out.flush();
        }
        long recoverUntil = chaosStart + recoveryTimeout.toNanos();
        while (happened && System.nanoTime() < recoverUntil
                && (fleet.lost() < fleet.size() || fleet.recovered() < fleet.size())) {
            Thread.sleep(20);
        }
        boolean allBack = happened && fleet.lost() == fleet.size() && fleet.recovered() == fleet.size();
        double recoverySeconds = allBack ? (fleet.lastRecoveryNanos() - chaosStart) / 1e9 : -1;
        if (happened) {
            out.println(allBack
                    ? String.format("chaos: all %d clients subscribed again after %.2fs", fleet.size(), recoverySeconds)
                    : "chaos: " + fleet.recovered() + " of " + fleet.lost() + " lost clients subscribed again in time");
            out.flush();
            Thread.sleep(after.toMillis());
        }
        h.publisher.stop();
        publishing.join(15_000);
        double publishSeconds = Math.max(1e-3, (System.nanoTime() - publishStarted) / 1e9);
        Thread.sleep(500); // deliveries in flight
        progress.stop();
        int atEnd = fleet.subscribed();
        fleet.closeAll(Duration.ofSeconds(5));

        Histogram latency = progress.total();
        long deliveries = h.stats.deliveries();
        Map<String, Object> s = h.deliverySummary("chaos", ramp.subscribed(), publishSeconds, latency);
        s.put("mode", mode.name().toLowerCase());
        s.put("lost", fleet.lost());
        s.put("recovered", fleet.recovered());
        s.put("recovery_s", Math.round(recoverySeconds * 1000) / 1000.0);
        s.put("subscribed_at_end", atEnd);
        s.put("reconnect_attempts", fleet.attempts() - ramp.attempted());
        s.put("reconnect_failures", fleet.reconnectFailures());
        s.put("recovered_from_history", h.stats.recoveries()); // §11: resumes with since the history covered
        s.put("force_sync_needed", h.stats.failedRecoveries());
        s.put("force_syncs", h.stats.forceSyncs());
        s.put("missing_events", h.stats.missing());
        s.put("duplicates", h.stats.duplicates());
        s.put("out_of_order", h.stats.outOfOrder());
        s.put("closes", h.stats.closes());
        s.put("close_codes", h.stats.closeCodes());
        s.put("errors_by_kind", h.stats.errorsByKind());
        s.put("events_published", h.publisher.published());
        s.put("publish_failed_requests", h.publisher.failedRequests());
        s.put("publish_request_ms", Harness.briefMs(h.publisher.requestTimes()));
        s.put("rate_per_s", publishOptions.rate);
        s.put("payload_bytes", publishOptions.payload);
        s.put("subscribe_ms", Harness.briefMs(fleet.subscribeTimes()));
        boolean ok = ramp.subscribed() == fleet.size() && allBack && h.stats.gaps() == 0 && h.stats.errors() == 0;
        s.put("ok", ok);
        if (!fleet.notes().isEmpty()) {
            s.put("first_errors", fleet.notes());
        }
        s.put("finished_at", Instant.now().toString());
        String title = "chaos " + mode.name().toLowerCase() + " " + fleetOptions.dialect.name().toLowerCase() + ": "
                + fleet.size() + " clients, " + fleetOptions.topics + " topics, " + publishOptions.rate + " events/s";
        Reports.write(fleetOptions.report, title, s, latency, progress.timeline());
        out.print(Reports.console(s));
        out.println((ok ? "PASS" : "FAIL") + ": report in " + fleetOptions.report.toAbsolutePath());
        out.flush();
        return ok ? 0 : LoadTest.EXIT_FOUND_PROBLEM;
    }
}
