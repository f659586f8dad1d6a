package io.herald.loadtest.cli;

import io.herald.loadtest.Topics;
import io.herald.loadtest.client.Dialect;
import io.herald.loadtest.client.Fleet;
import picocli.CommandLine.Option;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

/** Options every subcommand shares: where to connect, how many clients, how fast, and where to report. */
public final class FleetOptions {
    @Option(names = "--target", required = true, paramLabel = "ws://HOST:PORT",
            description = "The server to connect to.")
    URI target;

    @Option(names = "--dialect", defaultValue = "realtime", paramLabel = "DIALECT",
            description = "realtime (Herald §5), sync (Herald §4), channels (Herald §6 /ws), socketio "
                    + "(Engine.IO v4 peers) or raw (bare-Netty peer). Default: ${DEFAULT-VALUE}.")
    Dialect dialect;

    @Option(names = "--clients", defaultValue = "100", paramLabel = "N", description = "Clients. Default: ${DEFAULT-VALUE}.")
    int clients;

    @Option(names = "--topics", defaultValue = "10", paramLabel = "T",
            description = "Topics share:t0..; clients spread over them round-robin. Default: ${DEFAULT-VALUE}.")
    int topics;

    @Option(names = "--jwt-secret", paramLabel = "S", defaultValue = "${env:HERALD_JWT_SECRET}",
            description = "HS256 secret (32+ bytes) to sign client and publisher tokens. Needed by realtime and sync; "
                    + "without it no token is sent (peer servers). Default: $HERALD_JWT_SECRET.")
    String jwtSecret;

    @Option(names = "--ramp-rate", defaultValue = "1000", paramLabel = "PER_S",
            description = "New connections per second; 0 for as fast as --max-pending allows. Default: ${DEFAULT-VALUE}.")
    double rampRate;

    @Option(names = "--max-pending", defaultValue = "256", paramLabel = "N",
            description = "Connections between connect and confirmed subscription at once. Default: ${DEFAULT-VALUE}.")
    int maxPending;

    @Option(names = "--source-addresses", paramLabel = "A-B",
            description = "Local addresses to connect from, round-robin, e.g. 127.0.0.1-127.0.0.8 "
                    + "(each adds ~28k ephemeral ports; needed past ~28k connections).")
    String sourceAddresses;

    @Option(names = "--threads", defaultValue = "0", paramLabel = "N",
            description = "Client event-loop threads; 0 for one per core. Default: ${DEFAULT-VALUE}.")
    int threads;

    @Option(names = "--connect-timeout", paramLabel = "DURATION", converter = Durations.class,
            description = "How long the ramp may take in all. Default: 30s plus clients / ramp rate.")
    Duration connectTimeout;

    @Option(names = "--handshake-timeout", defaultValue = "10s", paramLabel = "DURATION", converter = Durations.class,
            description = "How long one WebSocket upgrade may take. Default: ${DEFAULT-VALUE}.")
    Duration handshakeTimeout;

    @Option(names = "--ping-interval", defaultValue = "30s", paramLabel = "DURATION", converter = Durations.class,
            description = "WebSocket ping interval keeping idle clients alive (§8.1); 0 for none. Default: ${DEFAULT-VALUE}.")
    Duration pingInterval;

    @Option(names = "--deflate", description = "Offer RFC 7692 permessage-deflate, as browsers and socket.io clients "
            + "do, and inflate what the server compresses. Default: off.")
    boolean deflate;

    @Option(names = "--report", defaultValue = "target/loadtest-report", paramLabel = "DIR",
            description = "Directory for summary.json, latency.hgrm and latency.html. Default: ${DEFAULT-VALUE}.")
    Path report;

    Topics topicSet() {
        // Herald's Socket.IO endpoint (§7) delivers user:{sub} topics: with a secret (Herald, not a peer),
        // every client of topic k is user t<k>.
        String kind = dialect == Dialect.CHANNELS ? "channel:"
                : dialect == Dialect.SOCKETIO && jwtSecret != null ? "user:" : "share:";
        return new Topics(topics, kind);
    }

    int threadCount() {
        return threads > 0 ? threads : Math.max(1, Runtime.getRuntime().availableProcessors());
    }

    Duration rampTimeout() {
        if (connectTimeout != null) {
            return connectTimeout;
        }
        long rampMillis = rampRate > 0 ? (long) (clients * 1000 / rampRate) : 0;
        return Duration.ofSeconds(30).plusMillis(rampMillis);
    }

    Fleet.Settings settings() {
        if (topics < 1 || clients < 1) {
            throw new IllegalArgumentException("--clients and --topics must be at least 1");
        }
        return new Fleet.Settings(target, dialect, topicSet(), clients, rampRate, maxPending,
                SourceAddresses.parse(sourceAddresses), pingInterval, handshakeTimeout, deflate);
    }
}
