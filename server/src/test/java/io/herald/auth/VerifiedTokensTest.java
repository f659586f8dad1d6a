package io.herald.auth;

import io.herald.testing.TestClock;
import io.jsonwebtoken.Jwts;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The HTTP API's cache of verified tokens: answers a repeated token at once, and never past its expiry. */
class VerifiedTokensTest {
    static final Instant NOW = Instant.parse("2026-12-02T10:00:00Z");
    static final String SECRET = "0123456789abcdef0123456789abcdef";

    final TestClock clock = new TestClock(NOW);
    final TokenVerifier verifier = new TokenVerifier(JwtKeys.hmac(SECRET), null, null, 5, clock);
    final VerifiedTokens tokens = new VerifiedTokens(verifier);

    static String token(String sub, long expiresInSeconds) {
        return Jwts.builder().subject(sub).expiration(Date.from(NOW.plusSeconds(expiresInSeconds)))
                .claim("roles", List.of("publisher")).signWith(JwtKeys.hmac(SECRET)).compact();
    }

    @Test
    void aRepeatedTokenIsAnsweredFromTheCache() throws Exception {
        String t = token("backend", 3600);
        Principal first = tokens.verify(t);
        assertEquals("backend", first.subject());
        assertSame(first, tokens.verify(new String(t.toCharArray())), "the same token, another string: no new parse");
        assertNotSame(first, verifier.verify(t), "the verifier itself parses every time");
    }

    @Test
    void aKeptTokenStillExpiresWithItsLeeway() throws Exception {
        String t = token("backend", 60);
        tokens.verify(t);
        clock.advance(Duration.ofSeconds(64));
        assertEquals("backend", tokens.verify(t).subject(), "within exp + 5 s leeway");
        clock.advance(Duration.ofSeconds(2));
        InvalidTokenException e = assertThrows(InvalidTokenException.class, () -> tokens.verify(t));
        assertEquals("token expired", e.getMessage());
        assertThrows(InvalidTokenException.class, () -> tokens.verify(t), "and stays refused");
    }

    @Test
    void aTokenThatFailsIsNeverKept() throws Exception {
        String good = token("backend", 3600);
        String forged = good.substring(0, good.lastIndexOf('.') + 1) + "AAAA" + good.substring(good.lastIndexOf('.') + 5);
        for (int i = 0; i < 3; i++) {
            assertThrows(InvalidTokenException.class, () -> tokens.verify(forged));
        }
        tokens.verify(good);
        assertThrows(InvalidTokenException.class, () -> tokens.verify(forged), "a valid token kept does not vouch for a forged one");
        assertThrows(InvalidTokenException.class, () -> tokens.verify(""));
        assertThrows(InvalidTokenException.class, () -> tokens.verify(null));
    }

    @Test
    void aFloodOfDistinctTokensKeepsTheCacheBounded() throws Exception {
        // a client cycling through valid tokens (or one that mints them) cannot grow the cache past its bound
        for (int i = 0; i < VerifiedTokens.MAX_KEPT * 3; i++) {
            tokens.verify(token("backend-" + i, 3600));
        }
        assertTrue(tokens.kept() <= VerifiedTokens.MAX_KEPT, "kept " + tokens.kept());
        String tooLong = token("backend", 3600) + "x".repeat(Credentials.MAX_TOKEN_CHARS);
        assertThrows(InvalidTokenException.class, () -> tokens.verify(tooLong));
        assertTrue(tokens.kept() <= VerifiedTokens.MAX_KEPT);
    }
}
