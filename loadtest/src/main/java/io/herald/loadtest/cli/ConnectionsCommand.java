package io.herald.loadtest.cli;

import io.herald.loadtest.LoadTest;
import io.herald.loadtest.client.Fleet;
import io.herald.loadtest.report.ProgressReporter;
import io.herald.loadtest.report.Reports;
import io.herald.loadtest.report.ServerMemory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code connections}: holds N idle subscribed clients and reports the handshake rate and, given the server's
 * pid on this machine, its resident memory per connection. Exits 1 when a client did not connect or was lost.
 */
@Command(name = "connections", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Ramps N subscribed clients, holds them idle for --duration, and reports the handshake rate "
                + "and (with --server-pid) the server's RSS per connection, from /proc/<pid>/status.",
                "Writes DIR/summary.json; exits 1 when a client did not connect, was closed, or anything failed."})
public final class ConnectionsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    FleetOptions fleetOptions;

    @Option(names = "--duration", defaultValue = "30s", paramLabel = "DURATION", converter = Durations.class,
            description = "How long to hold the clients once all are subscribed. Default: ${DEFAULT-VALUE}.")
    Duration duration;

    @Option(names = "--server-pid", paramLabel = "PID",
            description = "The server's process id on this machine, to read its RSS before and after.")
    Long serverPid;

    @Option(names = "--settle", defaultValue = "2s", paramLabel = "DURATION", converter = Durations.class,
            description = "Wait this long after the ramp before reading the server's RSS. Default: ${DEFAULT-VALUE}.")
    Duration settle;

    @Option(names = "--warmup-ramp", paramLabel = "BOOLEAN", defaultValue = "false", arity = "0..1",
            description = "First ramp the same number of clients, close them and settle, then measure a second ramp: "
                    + "the memory figure is then what a connection costs, without the server's one-off growth "
                    + "(classes, compiled code, pools, heap sizing). Default: ${DEFAULT-VALUE}.")
    boolean warmupRamp;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Duration runLength = fleetOptions.rampTimeout().plus(settle).plus(duration);
        if (warmupRamp) {
            try (Harness warm = new Harness(fleetOptions, null, false, fleetOptions.rampTimeout().plus(settle))) {
                Fleet.RampResult r = warm.fleet.ramp(fleetOptions.rampTimeout());
                out.printf("warm-up ramp: %d/%d subscribed in %.1fs; closing them%n", r.subscribed(), warm.fleet.size(),
                        r.seconds());
                out.flush();
                warm.fleet.closeAll(Duration.ofSeconds(10));
            }
            Thread.sleep(settle.toMillis());
        }
        try (Harness h = new Harness(fleetOptions, null, false, runLength)) {
            return run(h, out);
        }
    }

    private int run(Harness h, PrintWriter out) throws Exception {
        h.checkLimits(out);
        out.println(h.describe("connections") + ", holding " + Durations.seconds(duration) + "s");
        long rssBefore = serverPid != null ? ServerMemory.rssKib(serverPid) : -1;
        if (serverPid != null && rssBefore < 0) {
            out.println("warning: cannot read /proc/" + serverPid + "/status; no memory figures");
        }
        out.flush();
        Fleet fleet = h.fleet;
        ProgressReporter progress = new ProgressReporter(out, h.stats, fleet);
        progress.start();
        Fleet.RampResult ramp = fleet.ramp(fleetOptions.rampTimeout());
        out.printf("ramp: %d/%d subscribed in %.1fs (%.0f handshakes/s)%n", ramp.subscribed(), fleet.size(),
                ramp.seconds(), ramp.handshakesPerSecond());
        out.flush();
        Thread.sleep(settle.toMillis());
        long rssAfter = serverPid != null ? ServerMemory.rssKib(serverPid) : -1;
        int held = fleet.subscribed();
        long holdUntil = System.nanoTime() + duration.toNanos();
        while (System.nanoTime() < holdUntil) {
            Thread.sleep(Math.min(200, Math.max(1, (holdUntil - System.nanoTime()) / 1_000_000)));
        }
        long rssEnd = serverPid != null ? ServerMemory.rssKib(serverPid) : -1;
        int atEnd = fleet.subscribed();
        progress.stop();
        fleet.closeAll(Duration.ofSeconds(10));

        Map<String, Object> s = new LinkedHashMap<>();
        s.put("clients_connected", ramp.subscribed());
        s.put("handshakes_per_s", Math.round(ramp.handshakesPerSecond()));
        s.put("ramp_s", Math.round(ramp.seconds() * 1000) / 1000.0);
        s.put("subscribe_ms", Harness.briefMs(fleet.subscribeTimes()));
        s.put("subscribed_at_end", atEnd);
        s.put("errors", h.stats.errors());
        s.putAll(h.summaryHead("connections"));
        s.put("hold_s", Durations.seconds(duration));
        s.put("warmup_ramp", warmupRamp);
        if (serverPid != null) {
            s.put("server_pid", serverPid);
            s.put("server_rss_before_kib", rssBefore);
            s.put("server_rss_after_kib", rssAfter);
            s.put("server_rss_end_kib", rssEnd);
            if (rssBefore >= 0 && rssAfter >= 0 && held > 0) {
                s.put("server_bytes_per_connection", Math.round((rssAfter - rssBefore) * 1024.0 / held));
            }
        }
        s.put("closes", h.stats.closes());
        s.put("close_codes", h.stats.closeCodes());
        s.put("errors_by_kind", h.stats.errorsByKind());
        boolean ok = ramp.subscribed() == fleet.size() && atEnd == fleet.size() && h.stats.errors() == 0;
        s.put("ok", ok);
        if (!fleet.notes().isEmpty()) {
            s.put("first_errors", fleet.notes());
        }
        s.put("finished_at", Instant.now().toString());
        Reports.writeSummary(fleetOptions.report.resolve(Reports.SUMMARY), s);
        out.print(Reports.console(s));
        out.println((ok ? "PASS" : "FAIL") + ": report in " + fleetOptions.report.toAbsolutePath());
        out.flush();
        return ok ? 0 : LoadTest.EXIT_FOUND_PROBLEM;
    }
}
