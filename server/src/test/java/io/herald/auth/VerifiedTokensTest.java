package io.herald.auth;

import io.jsonwebtoken.Jwts;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The HTTP API's cache of verified tokens: answers a repeated token at once, and never past its expiry. */
class VerifiedTokensTest {
    static final Instant NOW = Instant.parse("2026-12-02T10:00:00Z");
    static final String SECRET = "0123456789abcdef0123456789abcdef";

    /** A clock the test moves. */
    static final class Moving extends Clock {
        Instant now = NOW;

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    final Moving clock = new Moving();
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
        clock.now = NOW.plusSeconds(64);
        assertEquals("backend", tokens.verify(t).subject(), "within exp + 5 s leeway");
        clock.now = NOW.plusSeconds(66);
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
}
