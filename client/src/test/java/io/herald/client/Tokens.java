package io.herald.client;

import io.herald.auth.TokenIssuer;
import io.herald.testing.TestServer;

import java.time.Duration;
import java.util.List;

/** Tokens signed with {@link TestServer#SECRET}, valid for every server a test starts (§2). */
final class Tokens {
    private static final TokenIssuer ISSUER = new TokenIssuer(TestServer.SECRET);

    private Tokens() {
    }

    static String user(String sub, List<String> shares, List<String> devices, Duration ttl) {
        return ISSUER.issue(sub, shares, devices, List.of(), List.of(), ttl);
    }

    static String user(String sub, String... shares) {
        return user(sub, List.of(shares), List.of(), Duration.ofHours(1));
    }

    static String device(String sub, String device, String... shares) {
        return user(sub, List.of(shares), List.of(device), Duration.ofHours(1));
    }

    /** A channels-endpoint token (§6) granting {@code channels}. */
    static String channels(String sub, Duration ttl, String... channels) {
        return ISSUER.issue(sub, List.of(), List.of(), List.of(channels), List.of(), ttl);
    }

    /** Signed with another key: "invalid" per §2. */
    static String foreign(String sub, String... shares) {
        return new TokenIssuer("another-secret-another-secret-another-secret-42")
                .issue(sub, List.of(shares), List.of(), List.of(), List.of(), Duration.ofHours(1));
    }
}
