package io.herald.api;

import io.herald.auth.Principal;
import io.herald.auth.TokenVerifier;
import io.herald.broker.Broker;
import io.herald.hub.Envelope;
import io.herald.hub.EnvelopeException;
import io.herald.hub.EnvelopeParser;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * {@code POST /api/v1/publish} (§3): one envelope or a batch, validated whole, then published in order
 * through the broker. Answers 202 {@code {"accepted": n}} once the broker took every event. Its route declares
 * POST and the 4 MiB body (§9).
 */
public final class PublishApi implements HttpEndpoint {
    private final Authorizer auth;
    private final EnvelopeParser parser;
    private final Broker broker;

    public PublishApi(TokenVerifier verifier, EnvelopeParser parser, Broker broker) {
        this.auth = new Authorizer(verifier);
        this.parser = parser;
        this.broker = broker;
    }

    @Override
    public CompletionStage<FullHttpResponse> handle(FullHttpRequest req, ByteBufAllocator alloc) {
        FullHttpResponse refusal = auth.refuse(req, alloc, Principal::mayPublish, "publisher");
        if (refusal != null) {
            return done(refusal);
        }
        List<Envelope> events;
        try {
            events = parser.parseRequest(ByteBufUtil.getBytes(req.content()));
        } catch (EnvelopeException e) {
            return done(e.tooLarge()
                    ? HttpResponses.error(alloc, HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "too_large", e.getMessage())
                    : HttpResponses.error(alloc, HttpResponseStatus.BAD_REQUEST, "invalid_request", e.getMessage()));
        }
        CompletableFuture<?>[] taken = new CompletableFuture<?>[events.size()];
        for (int i = 0; i < taken.length; i++) {
            taken[i] = broker.publish(events.get(i)).toCompletableFuture();
        }
        int n = taken.length;
        return CompletableFuture.allOf(taken).handle((ok, failure) -> {
            if (failure == null) {
                return HttpResponses.json(alloc, HttpResponseStatus.ACCEPTED, g -> {
                    g.writeStartObject();
                    g.writeNumberField("accepted", n);
                    g.writeEndObject();
                });
            }
            logFailure(failure);
            return HttpResponses.error(alloc, HttpResponseStatus.SERVICE_UNAVAILABLE, "unavailable",
                    "broker did not take the events; publish again");
        });
    }

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(PublishApi.class);
    private static volatile long lastFailureLogMillis;

    /** Why the broker refused, at most one line per 10 s (a Redis outage fails every publish). */
    private static void logFailure(Throwable failure) {
        long now = System.currentTimeMillis();
        if (now - lastFailureLogMillis > 10_000) {
            lastFailureLogMillis = now;
            Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
            log.warn("publish: the broker did not take the events ({}); answered 503", cause.toString());
        }
    }

    private static CompletionStage<FullHttpResponse> done(FullHttpResponse r) {
        return CompletableFuture.completedFuture(r);
    }
}
