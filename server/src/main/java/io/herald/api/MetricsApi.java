package io.herald.api;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** {@code GET /metrics} (§9): the registry in Prometheus text format 0.0.4. */
public final class MetricsApi implements HttpEndpoint {
    private final PrometheusRegistry registry;
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();

    public MetricsApi(PrometheusRegistry registry) {
        this.registry = registry;
    }

    @Override
    public CompletionStage<FullHttpResponse> handle(FullHttpRequest req, ByteBufAllocator alloc) {
        ByteBuf body = alloc.buffer(4096);
        try (ByteBufOutputStream out = new ByteBufOutputStream(body)) {
            writer.write(out, registry.scrape());
        } catch (IOException | RuntimeException e) {
            body.release();
            return CompletableFuture.failedFuture(e);
        }
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, writer.getContentType());
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
        return CompletableFuture.completedFuture(r);
    }
}
