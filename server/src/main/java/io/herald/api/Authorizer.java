package io.herald.api;

import io.herald.auth.BearerTokens;
import io.herald.auth.InvalidTokenException;
import io.herald.auth.Principal;
import io.herald.auth.TokenVerifier;
import io.herald.auth.VerifiedTokens;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.util.function.Predicate;

/** The bearer-token check every protected HTTP endpoint shares: 401 without a valid token, 403 without the role. */
final class Authorizer {
    private final VerifiedTokens verifier;

    Authorizer(TokenVerifier verifier) {
        this.verifier = new VerifiedTokens(verifier); // backends send the same token with every request
    }

    /** The refusal to send, or null when {@code request} carries a valid token whose principal passes {@code allowed}. */
    FullHttpResponse refuse(HttpRequest request, ByteBufAllocator alloc, Predicate<Principal> allowed, String needed) {
        String token = BearerTokens.fromHeader(request);
        if (token == null) {
            return HttpResponses.error(alloc, HttpResponseStatus.UNAUTHORIZED, "unauthorized", "missing bearer token");
        }
        Principal p;
        try {
            p = verifier.verify(token);
        } catch (InvalidTokenException e) {
            return HttpResponses.error(alloc, HttpResponseStatus.UNAUTHORIZED, "unauthorized", e.getMessage());
        }
        if (!allowed.test(p)) {
            return HttpResponses.error(alloc, HttpResponseStatus.FORBIDDEN, "forbidden", "token lacks role " + needed);
        }
        return null;
    }

    /** The principal of {@code request}'s valid bearer token, or null; after {@link #refuse} said yes, never null. */
    Principal principal(HttpRequest request) {
        String token = BearerTokens.fromHeader(request);
        if (token == null) {
            return null;
        }
        try {
            return verifier.verify(token);
        } catch (InvalidTokenException e) {
            return null;
        }
    }
}
