package io.herald.metrics;

import io.herald.broker.Broker;
import io.herald.hub.Hub;
import io.herald.protocol.Endpoint;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * The §9 {@code /metrics} registry (Prometheus client). Everything but the latency histogram is read from
 * {@link Stats}, the hub and the broker at scrape time, so the hot path pays nothing for it.
 */
public final class Metrics {
    private Metrics() {
    }

    public static PrometheusRegistry registry(Stats stats, Hub hub, Broker broker, String instance) {
        PrometheusRegistry r = new PrometheusRegistry();
        GaugeWithCallback.builder().name("herald_connections").help("Open WebSocket connections by endpoint")
                .labelNames("endpoint")
                .callback(cb -> {
                    for (Endpoint e : Endpoint.values()) {
                        cb.call(stats.connections(e), e.label());
                    }
                }).register(r);
        GaugeWithCallback.builder().name("herald_transport_connections")
                .help("Open connections by transport: websocket, or Engine.IO long-polling (polling)")
                .labelNames("transport")
                .callback(cb -> {
                    cb.call(stats.websocketConnections(), "websocket");
                    cb.call(stats.pollingConnections(), "polling");
                }).register(r);
        GaugeWithCallback.builder().name("herald_users").help("Distinct users connected")
                .callback(cb -> cb.call(stats.users())).register(r);
        GaugeWithCallback.builder().name("herald_subscriptions").help("Connection-topic subscriptions")
                .callback(cb -> cb.call(hub.subscriptionCount())).register(r);
        GaugeWithCallback.builder().name("herald_topics").help("Topics with at least one local subscriber")
                .callback(cb -> cb.call(hub.topicCount())).register(r);
        CounterWithCallback.builder().name("herald_events_published").help("Events taken by the hub")
                .callback(cb -> cb.call(stats.published())).register(r);
        CounterWithCallback.builder().name("herald_events_delivered").help("Event frames written to connections")
                .callback(cb -> cb.call(stats.delivered())).register(r);
        CounterWithCallback.builder().name("herald_events_dropped").help("Event frames dropped for slow consumers")
                .callback(cb -> cb.call(stats.dropped())).register(r);
        CounterWithCallback.builder().name("herald_slow_consumer_closes").help("Connections closed 4408")
                .callback(cb -> cb.call(stats.slowConsumerCloses())).register(r);
        GaugeWithCallback.builder().name("herald_broker_connected").help("1 while the broker is connected")
                .labelNames("type", "instance")
                .callback(cb -> cb.call(broker.connected() ? 1 : 0, broker.type(), instance)).register(r);
        r.register(stats.deliveryLatency());
        return r;
    }
}
