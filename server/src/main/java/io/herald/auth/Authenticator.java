package io.herald.auth;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Who a connection is (§2, §12), one place for every endpoint: a JWS is verified locally with the configured key;
 * other credentials (opaque session tokens, API keys, cookies) go to the auth proxy when one is configured.
 *
 * <p>With a key configured ({@code HERALD_JWT_SECRET} or {@code HERALD_JWT_PUBLIC_KEY}), a JWS is decided locally and
 * never sent to the backend. In development mode (a random key Herald made itself) a JWS that the random key does not
 * verify cannot be one of Herald's own, so it goes to the backend like any other credential.
 */
public final class Authenticator {
    private final TokenVerifier verifier;
    private final boolean keyConfigured;
    private final AuthProxy proxy;
    private final List<String> forwardedHeaders;

    /**
     * @param keyConfigured    false in development mode (§1)
     * @param proxy            null without {@code HERALD_AUTH_PROXY}
     * @param forwardedHeaders {@code HERALD_AUTH_PROXY_HEADERS}, lower case
     */
    public Authenticator(TokenVerifier verifier, boolean keyConfigured, AuthProxy proxy, List<String> forwardedHeaders) {
        this.verifier = verifier;
        this.keyConfigured = keyConfigured;
        this.proxy = proxy;
        this.forwardedHeaders = List.copyOf(forwardedHeaders);
    }

    /** Only a verifier: every credential is a JWS (no auth proxy). */
    public Authenticator(TokenVerifier verifier) {
        this(verifier, true, null, List.of());
    }

    public TokenVerifier verifier() {
        return verifier;
    }

    /** True when credentials that are not JWSs go to a backend. */
    public boolean proxied() {
        return proxy != null;
    }

    /** The request headers the proxy is told about ({@code HERALD_AUTH_PROXY_HEADERS}). */
    public List<String> forwardedHeaders() {
        return forwardedHeaders;
    }

    /** The auth proxy, or null. */
    public AuthProxy proxy() {
        return proxy;
    }

    /**
     * Recognises {@code token} (the credential the endpoint takes first, §2; may be null) with {@code credentials}
     * (what the proxy would be told; may be null without a proxy). Completes at once unless the backend is asked;
     * never exceptionally.
     */
    public CompletableFuture<Authentication> authenticate(String token, Credentials credentials) {
        if (proxy == null || credentials == null) {
            return CompletableFuture.completedFuture(local(token));
        }
        if (token != null && isJws(token)) {
            Authentication local = local(token);
            if (local.accepted() || keyConfigured) {
                return CompletableFuture.completedFuture(local);
            }
        }
        return proxy.check(credentials);
    }

    /** The JWS path alone (§2). */
    public Authentication local(String token) {
        try {
            return Authentication.accepted(verifier.verify(token), List.of());
        } catch (InvalidTokenException e) {
            return Authentication.unauthorized(e.getMessage());
        }
    }

    /**
     * §8.2: the epoch millisecond after which {@code p}'s connection closes 4401: its expiry plus the leeway, or never
     * for a proxy answer without {@code expires_at} (such a session ends when the backend revokes it, §12).
     */
    public long deadlineMillis(Principal p) {
        if (p.expiresAt() == null) {
            return Long.MAX_VALUE;
        }
        long exp;
        try {
            exp = p.expiresAt().toEpochMilli();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
        long leeway = verifier.leewayMillis();
        return exp > Long.MAX_VALUE - leeway ? Long.MAX_VALUE : exp + leeway;
    }

    /**
     * Compact JWS shape: three base64url parts whose first decodes to a JSON object. A cheap test, so that opaque
     * tokens skip a verification that cannot succeed.
     */
    public static boolean isJws(String token) {
        int first = token.indexOf('.');
        int second = first < 0 ? -1 : token.indexOf('.', first + 1);
        if (first <= 0 || second < 0 || token.indexOf('.', second + 1) >= 0) {
            return false;
        }
        for (int i = 0; i < token.length(); i++) {
            char ch = token.charAt(i);
            if (!(ch == '.' || ch == '-' || ch == '_' || (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z')
                    || (ch >= 'A' && ch <= 'Z'))) {
                return false;
            }
        }
        return token.startsWith("eyJ"); // base64url of '{"'
    }
}
