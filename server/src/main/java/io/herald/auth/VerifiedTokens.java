package io.herald.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;

/**
 * {@link TokenVerifier#verify} for callers that present the same token again and again: a backend publishing over a
 * kept-alive connection sends its token with every request (§9), and jjwt's signature check and claims parsing cost
 * more than the rest of a small publish (the topics-1k profile in docs/benchmarks.md). A token that verified is kept,
 * keyed by its SHA-256 (the cache holds no credential), and answered from here until its {@code exp} plus leeway
 * passes, checked on every use; a token that failed is never kept, so it fails each time. Thread-safe.
 */
public final class VerifiedTokens {
    /** Distinct tokens kept: backends' service tokens, not users'. */
    static final int MAX_KEPT = 1_024;
    /** Kept at most this long even when it expires later, so that rarely used tokens leave. */
    static final Duration KEEP_AT_MOST = Duration.ofMinutes(10);

    private final TokenVerifier verifier;
    private final Cache<String, Principal> kept = Caffeine.newBuilder()
            .maximumSize(MAX_KEPT)
            .expireAfterWrite(KEEP_AT_MOST)
            .executor(Runnable::run) // upkeep on the calling thread: no common-pool hops from an event loop
            .build();

    public VerifiedTokens(TokenVerifier verifier) {
        this.verifier = verifier;
    }

    /** The token's principal, as {@link TokenVerifier#verify} gives it; throws as it does. */
    public Principal verify(String token) throws InvalidTokenException {
        if (token == null || token.isEmpty() || token.length() > Credentials.MAX_TOKEN_CHARS) {
            return verifier.verify(token); // refused there, with its reason
        }
        String key = digest(token);
        Principal p = kept.getIfPresent(key);
        if (p != null) {
            if (!verifier.expired(p)) {
                return p;
            }
            kept.invalidate(key);
        }
        p = verifier.verify(token);
        kept.put(key, p);
        return p;
    }

    /** Tokens kept now, after pending evictions. */
    long kept() {
        kept.cleanUp();
        return kept.estimatedSize();
    }

    private static String digest(String token) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e); // every JRE has SHA-256
        }
    }
}
