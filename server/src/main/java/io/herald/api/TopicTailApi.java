package io.herald.api;

import io.herald.auth.Principal;
import io.herald.auth.TokenVerifier;
import io.herald.hub.Hub;
import io.herald.hub.Topic;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;

import java.time.Clock;
import java.util.List;

/**
 * {@code GET /api/v1/admin/tail?topic=share:s1} (role {@code admin}, bearer token in the header like every §9/§12
 * admin call, never in the URL): the live events of one topic on this instance (which, subscribed, hears them from
 * every instance through the broker), streamed as JSON lines by a {@link TopicTail}. Refusals are the usual JSON
 * errors: 401, 403, 400 for a topic that is not a §3 topic, 429 when {@link TopicTails#MAX_TAILS} are open here.
 */
public final class TopicTailApi implements StreamingHttpEndpoint {
    private final Authorizer auth;
    private final Hub hub;
    private final TopicTails tails;
    private final int slot;
    private final String instance;
    private final Clock clock;

    /** @param slot the hub renderer slot of {@code tails} */
    public TopicTailApi(TokenVerifier verifier, Hub hub, TopicTails tails, int slot, String instance, Clock clock) {
        this.auth = new Authorizer(verifier);
        this.hub = hub;
        this.tails = tails;
        this.slot = slot;
        this.instance = instance;
        this.clock = clock;
    }

    @Override
    public Opened open(FullHttpRequest req, ByteBufAllocator alloc) {
        FullHttpResponse refusal = auth.refuse(req, alloc, p -> p.hasRole(Principal.ROLE_ADMIN), "admin");
        if (refusal != null) {
            return Opened.refused(refusal);
        }
        List<String> names = new QueryStringDecoder(req.uri()).parameters().get("topic");
        Topic topic = names == null || names.size() != 1 ? null : Topic.parse(names.get(0));
        if (topic == null) {
            return Opened.refused(HttpResponses.error(alloc, HttpResponseStatus.BAD_REQUEST, "invalid_request",
                    "give one topic, a §3 topic name such as share:s1"));
        }
        Principal admin = auth.principal(req);
        if (!tails.tryOpen()) {
            return Opened.refused(HttpResponses.error(alloc, HttpResponseStatus.TOO_MANY_REQUESTS, "too_many_tails",
                    "too many topic tails are open on this instance; retry later"));
        }
        long endAt = clock.millis() + TopicTail.MAX_MILLIS;
        if (admin != null && admin.expiresAt() != null) {
            endAt = Math.min(endAt, admin.expiresAt().toEpochMilli());
        }
        return Opened.streaming(new TopicTail(hub, tails, slot, topic.name(), instance, endAt, clock));
    }
}
