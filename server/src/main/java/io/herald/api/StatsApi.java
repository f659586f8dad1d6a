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
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** {@code GET /api/v1/realtime/stats} for the {@code admin} role (§9). */
public final class StatsApi implements HttpEndpoint {
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
        if (!HttpMethod.GET.equals(req.method())) {
            return CompletableFuture.completedFuture(HttpResponses.methodNotAllowed(alloc, "GET"));
        }
        FullHttpResponse refusal = auth.refuse(req, alloc, p -> p.hasRole(Principal.ROLE_ADMIN), "admin");
        if (refusal != null) {
            return CompletableFuture.completedFuture(refusal);
        }
        return CompletableFuture.completedFuture(HttpResponses.json(alloc, HttpResponseStatus.OK, g -> {
            g.writeStartObject();
            g.writeStringField("instance", instance);
            g.writeNumberField("uptime_s", stats.uptimeSeconds());
            g.writeObjectFieldStart("connections");
            g.writeNumberField("total", stats.connections());
            for (Endpoint e : Endpoint.values()) {
                g.writeNumberField(e.label(), stats.connections(e));
            }
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
            g.writeObjectFieldStart("broker");
            g.writeStringField("type", broker.type());
            g.writeBooleanField("connected", broker.connected());
            g.writeEndObject();
            g.writeEndObject();
        }));
    }
}
