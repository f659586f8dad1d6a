package io.herald.auth;

import io.herald.config.HeraldConfig;
import io.jsonwebtoken.Claims;
import io.jsonwebtoken.JwtException;
import io.jsonwebtoken.JwtParser;
import io.jsonwebtoken.JwtParserBuilder;
import io.jsonwebtoken.Jwts;
import io.jsonwebtoken.security.SecurityException;

import java.security.Key;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.Set;
import javax.crypto.SecretKey;

/**
 * Verifies JWS compact tokens (PROTOCOL.md §2) with jjwt. Thread-safe; one instance serves every event loop.
 *
 * <p>jjwt ties the accepted algorithms to the key: an HMAC secret accepts HS256/384/512 only (and refuses
 * one whose key is too short for it), a public key only its own family. Unsecured ({@code alg: none})
 * tokens are refused. {@code exp} is required on top of jjwt's checks.
 */
public final class TokenVerifier {
    private final JwtParser parser;
    private final long leewayMillis;
    private final Clock clock;

    public TokenVerifier(Key key, String issuer, String audience, long leewaySeconds, Clock clock) {
        JwtParserBuilder b = Jwts.parser()
                .clockSkewSeconds(leewaySeconds)
                .clock(() -> Date.from(clock.instant()));
        if (key instanceof SecretKey secret) {
            b.verifyWith(secret);
        } else {
            b.verifyWith((PublicKey) key);
        }
        if (issuer != null) {
            b.requireIssuer(issuer);
        }
        if (audience != null) {
            b.requireAudience(audience);
        }
        this.parser = b.build();
        this.leewayMillis = leewaySeconds * 1000;
        this.clock = clock;
    }

    public static TokenVerifier from(HeraldConfig config, Clock clock) {
        Key key = config.jwtPublicKey() != null ? JwtKeys.publicKey(config.jwtPublicKey())
                : JwtKeys.hmac(config.jwtSecret());
        return new TokenVerifier(key, config.jwtIssuer(), config.jwtAudience(), config.jwtLeeway().toSeconds(), clock);
    }

    /** The instant after which a principal's connection must close (§8.2): {@code exp} plus leeway. */
    public Instant deadline(Principal p) {
        return p.expiresAt().plusMillis(leewayMillis);
    }

    /** True once {@link #deadline} has passed: what {@link #verify} would now refuse as expired. */
    public boolean expired(Principal p) {
        return clock.instant().isAfter(deadline(p));
    }

    /** {@code HERALD_JWT_LEEWAY} in milliseconds. */
    public long leewayMillis() {
        return leewayMillis;
    }

    public Principal verify(String token) throws InvalidTokenException {
        if (token == null || token.isEmpty()) {
            throw new InvalidTokenException("no token");
        }
        if (token.length() > 16 * 1024) {
            throw new InvalidTokenException("token too long");
        }
        Claims claims;
        try {
            claims = parser.parseSignedClaims(token).getPayload();
        } catch (io.jsonwebtoken.ExpiredJwtException e) {
            throw new InvalidTokenException("token expired");
        } catch (SecurityException e) {
            throw new InvalidTokenException("bad signature or key");
        } catch (JwtException | IllegalArgumentException | ClassCastException e) {
            throw new InvalidTokenException("invalid token (" + e.getClass().getSimpleName() + ")");
        }
        String sub = claims.getSubject();
        if (sub == null || sub.isEmpty()) {
            throw new InvalidTokenException("no sub claim");
        }
        Date exp = claims.getExpiration();
        if (exp == null) {
            throw new InvalidTokenException("no exp claim");
        }
        Object sid = claims.get("sid"); // §12: the login session, whose session:{id} topic the connection receives
        if (sid != null && !(sid instanceof String)) {
            throw new InvalidTokenException("claim sid is not a string");
        }
        return new Principal(sub, exp.toInstant(),
                strings(claims, "shares"), strings(claims, "devices"),
                new ArrayList<>(strings(claims, "channels")), strings(claims, "roles"), (String) sid);
    }

    private static Set<String> strings(Claims claims, String name) throws InvalidTokenException {
        Object v = claims.get(name);
        if (v == null) {
            return Set.of();
        }
        if (!(v instanceof Collection<?> c)) {
            throw new InvalidTokenException("claim " + name + " is not an array of strings");
        }
        Set<String> out = new LinkedHashSet<>();
        for (Object o : c) {
            if (!(o instanceof String s)) {
                throw new InvalidTokenException("claim " + name + " is not an array of strings");
            }
            out.add(s);
        }
        return out;
    }
}
