package io.herald.loadtest.cli;

import io.herald.loadtest.TokenSigner;
import io.herald.loadtest.Topics;
import io.herald.loadtest.client.ClientTransport;
import io.herald.loadtest.client.Fleet;
import io.herald.loadtest.client.PublishedSequences;
import io.herald.loadtest.publish.EventPublisher;
import io.herald.loadtest.report.DeliveryStats;
import io.herald.loadtest.report.Reports;
import org.HdrHistogram.Histogram;

import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The parts of one run, built from the options in dependency order (stats, signer, transport, publisher, fleet)
 * and released in reverse. Shared by the subcommands.
 */
final class Harness implements AutoCloseable {
    final FleetOptions options;
    final Topics topics;
    final DeliveryStats stats = new DeliveryStats();
    final TokenSigner signer;
    final ClientTransport transport;
    final EventPublisher publisher;
    final Fleet fleet;

    /** Validates everything first, so a bad option fails before any thread or socket exists. */
    Harness(FleetOptions options, PublishOptions publish, boolean retryPublish, Duration runLength) {
        this.options = options;
        this.topics = options.topicSet();
        Fleet.Settings settings = options.settings();
        // Tokens outlive the run by an hour, so no client meets §8.2 expiry during it.
        this.signer = options.jwtSecret != null ? new TokenSigner(options.jwtSecret, runLength.plusHours(1)) : null;
        EventPublisher.Settings ps = publish == null ? null : new EventPublisher.Settings(publish.publish,
                signer != null ? signer.publisher() : null, topics, options.dialect.eventType(), publish.payload,
                publish.rate, publish.stamp == PublishOptions.Stamp.SCHEDULED, retryPublish, publish.redisPrefix);
        if (settings.dialect().needsToken() && signer == null) {
            throw new IllegalArgumentException("--dialect " + settings.dialect().name().toLowerCase()
                    + " needs --jwt-secret (Herald refuses clients without a token)");
        }
        this.transport = new ClientTransport(options.threadCount());
        this.publisher = ps == null ? null : new EventPublisher(ps, stats);
        this.fleet = new Fleet(settings, transport, signer, stats, publisher != null ? publisher : PublishedSequences.NONE);
    }

    /** Warns when the process may not open enough sockets. */
    void checkLimits(PrintWriter out) {
        var os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
            long max = unix.getMaxFileDescriptorCount();
            if (max < options.clients + 256L) {
                out.println("warning: this process may open " + max + " files, fewer than " + options.clients
                        + " clients need; raise it with ulimit -n");
            }
        }
        int sources = Math.max(1, SourceAddresses.parse(options.sourceAddresses).size());
        if (options.clients > 28_000L * sources) {
            out.println("warning: " + options.clients + " clients from " + sources + " source address(es) may run out "
                    + "of ephemeral ports; add --source-addresses 127.0.0.1-127.0.0.N");
        }
    }

    /** The first lines of a run, naming what runs where. */
    String describe(String command) {
        return command + ": " + options.clients + " " + options.dialect.name().toLowerCase() + " clients over "
                + options.topics + " topics -> " + options.target + " (" + transport.name() + ", "
                + options.threadCount() + " threads)";
    }

    /** The keys every summary starts with. */
    /**
     * The summary keys every delivering command writes first (the summary.json contract), then
     * {@link #summaryHead}: clients_connected, deliveries, deliveries_per_s, latency_ms, gaps, force_sync, errors.
     */
    Map<String, Object> deliverySummary(String command, int connected, double publishSeconds, Histogram latency) {
        long deliveries = stats.deliveries();
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("clients_connected", connected);
        s.put("deliveries", deliveries);
        s.put("deliveries_per_s", Math.round(deliveries / publishSeconds));
        s.put("latency_ms", Reports.latencyMs(latency));
        s.put("gaps", stats.gaps());
        s.put("force_sync", stats.forceSyncs());
        s.put("errors", stats.errors());
        s.putAll(summaryHead(command));
        return s;
    }

    Map<String, Object> summaryHead(String command) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("command", command);
        m.put("target", options.target.toString());
        m.put("dialect", options.dialect.name().toLowerCase());
        m.put("transport", transport.name());
        m.put("clients", options.clients);
        m.put("topics", options.topics);
        return m;
    }

    /** p50, p99 and max in milliseconds of a histogram in microseconds. */
    static Map<String, Object> briefMs(Histogram micros) {
        Map<String, Object> m = new LinkedHashMap<>();
        Map<String, Object> all = Reports.latencyMs(micros);
        m.put("p50", all.get("p50"));
        m.put("p99", all.get("p99"));
        m.put("max", all.get("max"));
        return m;
    }

    @Override
    public void close() {
        if (publisher != null) {
            publisher.close();
        }
        transport.shutdown(Duration.ofSeconds(5));
    }
}
