package io.herald.loadtest.cli;

import picocli.CommandLine.Option;

import java.net.URI;

/** Options of the publisher that runs in the load tool's JVM. */
public final class PublishOptions {
    /** What an event's {@code "t"} records. */
    public enum Stamp { SCHEDULED, SENT }

    @Option(names = "--publish", required = true, paramLabel = "URL",
            description = "http://HOST:PORT/api/v1/publish (§3 HTTP ingress; sent with a publisher token when "
                    + "--jwt-secret is set), or redis://HOST:PORT to PUBLISH each envelope to {prefix}{topic} "
                    + "(§3 Redis ingress, for Herald instances on a Redis broker).")
    URI publish;

    @Option(names = "--redis-prefix", defaultValue = "herald:", paramLabel = "PREFIX",
            description = "HERALD_REDIS_PREFIX of the target, for --publish redis://. Default: ${DEFAULT-VALUE}.")
    String redisPrefix;

    @Option(names = "--rate", defaultValue = "100", paramLabel = "EVENTS_PER_S",
            description = "Events per second over all topics, round-robin. Default: ${DEFAULT-VALUE}.")
    double rate;

    @Option(names = "--payload", defaultValue = "256", paramLabel = "BYTES",
            description = "Size of each event's data object. Default: ${DEFAULT-VALUE}.")
    int payload;

    @Option(names = "--stamp", defaultValue = "scheduled", paramLabel = "WHEN",
            description = "t = the instant the event was due (scheduled: a publisher that falls behind shows as "
                    + "latency, correcting coordinated omission) or when its request was built (sent). "
                    + "Default: ${DEFAULT-VALUE}.")
    Stamp stamp;
}
