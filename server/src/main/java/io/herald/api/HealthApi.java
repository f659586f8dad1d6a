package io.herald.api;

import io.herald.broker.Broker;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** §9: {@code /healthz} (200 while serving) and {@code /readyz} (200 while the broker is connected). */
public final class HealthApi {
    private HealthApi() {
    }

    public static HttpEndpoint live() {
        return (req, alloc) -> status(alloc, true, "ok");
    }

    public static HttpEndpoint ready(Broker broker) {
        return (req, alloc) -> {
            boolean up = broker.connected();
            return status(alloc, up, up ? "ready" : "broker disconnected");
        };
    }

    private static CompletionStage<FullHttpResponse> status(ByteBufAllocator alloc, boolean ok, String text) {
        return CompletableFuture.completedFuture(HttpResponses.json(alloc,
                ok ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE, g -> {
                    g.writeStartObject();
                    g.writeStringField("status", text);
                    g.writeEndObject();
                }));
    }
}
