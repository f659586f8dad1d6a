package io.herald.protocol;

import io.herald.hub.Hub;
import io.herald.metrics.Stats;

/** What every connection shares, whatever its dialect: created once by the gateway. */
public record ConnectionCore(Hub hub, Stats stats, Connections connections, ConnectionPolicy policy) {
}
