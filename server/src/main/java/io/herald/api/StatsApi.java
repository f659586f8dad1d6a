package io.herald.api;

import io.herald.auth.Principal;
import io.herald.auth.TokenVerifier;
import io.herald.broker.Broker;
import io.herald.hub.Hub;
import io.herald.metrics.Stats;
import io.herald.protocol.Endpoint;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import io.netty.handler.codec.http.QueryStringDecoder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * {@code GET /api/v1/realtime/stats} for the {@code admin} role (§9): this instance's figures, or with
 * {@code ?scope=cluster} the sum over every live instance plus each one's figures ({@link ClusterStats}).
 */
public final class StatsApi implements HttpEndpoint {
    private static final JsonFactory JSON = new JsonFactory();

    private final Authorizer auth;
    private final String instance;
    private final Stats stats;
    private final Hub hub;
    private final Broker broker;

    public StatsApi(TokenVerifier verifier, String instance, Stats stats, Hub hub, Broker broker) {
        this.auth = new Authorizer(verifier);
        this.instance = instance;
        this.stats = stats;
        this.hub = hub;
        this.broker = broker;
    }

    @Override
    public CompletionStage<FullHttpResponse> handle(FullHttpRequest req, ByteBufAllocator alloc) {
        FullHttpResponse refusal = auth.refuse(req, alloc, p -> p.hasRole(Principal.ROLE_ADMIN), "admin");
        if (refusal != null) {
            return CompletableFuture.completedFuture(refusal);
        }
        String scope = scope(req.uri());
        if (scope == null) {
            return CompletableFuture.completedFuture(HttpResponses.json(alloc, HttpResponseStatus.OK,
                    g -> writeInstance(g, instance, stats, hub, broker)));
        }
        if (!scope.equals("cluster")) {
            return CompletableFuture.completedFuture(HttpResponses.error(alloc, HttpResponseStatus.BAD_REQUEST,
                    "invalid_request", "scope must be cluster or absent"));
        }
        byte[] own = snapshot(instance, stats, hub, broker);
        CompletionStage<List<byte[]>> reports = broker.instanceReports();
        if (reports == null) {
            reports = CompletableFuture.completedFuture(List.of());
        }
        return reports.handle((others, failure) -> {
            if (failure != null) {
                return HttpResponses.error(alloc, HttpResponseStatus.SERVICE_UNAVAILABLE, "unavailable",
                        "the broker cannot list the instances now; retry");
            }
            return HttpResponses.json(alloc, HttpResponseStatus.OK, g -> ClusterStats.write(g, instance, own, others));
        });
    }

    /**
     * {@code herald_delivery_latency_seconds} as counts per bucket (not cumulative), keyed by upper bound in seconds,
     * with the sum in microseconds: integers only, so {@link ClusterStats} sums instances as it sums everything else.
     */
    private static void writeLatency(JsonGenerator g, Stats stats) throws IOException {
        var point = stats.deliveryLatency().collect().getDataPoints().get(0);
        var buckets = point.getClassicBuckets();
        g.writeObjectFieldStart("delivery_latency");
        g.writeNumberField("count", point.getCount());
        g.writeNumberField("sum_us", Math.round(point.getSum() * 1e6));
        g.writeObjectFieldStart("buckets");
        for (int i = 0; i < buckets.size(); i++) {
            double le = buckets.getUpperBound(i);
            g.writeNumberField(Double.isInfinite(le) ? "+Inf" : Double.toString(le), buckets.getCount(i));
        }
        g.writeEndObject();
        g.writeEndObject();
    }

    /** The {@code scope} query parameter, or null. */
    private static String scope(String uri) {
        List<String> v = new QueryStringDecoder(uri).parameters().get("scope");
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    /** This instance's figures as JSON, as other instances read them from the broker (§9 cluster scope). */
    public static byte[] snapshot(String instance, Stats stats, Hub hub, Broker broker) {
        try (ByteArrayBuilder out = new ByteArrayBuilder(512)) {
            try (JsonGenerator g = JSON.createGenerator(out)) {
                writeInstance(g, instance, stats, hub, broker);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void writeInstance(JsonGenerator g, String instance, Stats stats, Hub hub, Broker broker) throws IOException {
        g.writeStartObject();
        g.writeStringField("instance", instance);
        g.writeNumberField("uptime_s", stats.uptimeSeconds());
        g.writeObjectFieldStart("connections");
        g.writeNumberField("total", stats.connections());
        for (Endpoint e : Endpoint.values()) {
            g.writeNumberField(e.label(), stats.connections(e));
        }
        g.writeEndObject();
        // beyond §9's shape, for the admin page: sessions by transport (§7) and the delivery-latency histogram
        g.writeObjectFieldStart("transports");
        g.writeNumberField("websocket", stats.websocketConnections());
        g.writeNumberField("polling", stats.pollingConnections());
        g.writeEndObject();
        g.writeNumberField("users", stats.users());
        g.writeNumberField("subscriptions", hub.subscriptionCount());
        g.writeNumberField("topics", hub.topicCount());
        g.writeObjectFieldStart("events");
        g.writeNumberField("published", stats.published());
        g.writeNumberField("delivered", stats.delivered());
        g.writeNumberField("dropped", stats.dropped());
        g.writeEndObject();
        g.writeNumberField("slow_consumer_closes", stats.slowConsumerCloses());
        writeLatency(g, stats);
        g.writeObjectFieldStart("broker");
        g.writeStringField("type", broker.type());
        g.writeBooleanField("connected", broker.connected());
        g.writeEndObject();
        g.writeEndObject();
    }
}
