package io.herald.auth;

import io.jsonwebtoken.JwtBuilder;
import io.jsonwebtoken.Jwts;

import java.security.Key;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Date;

/** Signs tokens with the configured HMAC secret: the {@code token} subcommand and development mode (§1). */
public final class TokenIssuer {
    private final Key key;

    public TokenIssuer(String secret) {
        this.key = JwtKeys.hmac(secret);
    }

    public String issue(String subject, Collection<String> shares, Collection<String> devices,
                        Collection<String> channels, Collection<String> roles, Duration ttl) {
        return issue(subject, shares, devices, channels, roles, null, ttl);
    }

    /** With a {@code sid} claim (§12 sessions) when {@code session} is not null. */
    public String issue(String subject, Collection<String> shares, Collection<String> devices,
                        Collection<String> channels, Collection<String> roles, String session, Duration ttl) {
        Instant now = Instant.now();
        JwtBuilder b = Jwts.builder()
                .subject(subject)
                .issuedAt(Date.from(now))
                .expiration(Date.from(now.plus(ttl)))
                .signWith(key);
        if (!shares.isEmpty()) b.claim("shares", shares);
        if (!devices.isEmpty()) b.claim("devices", devices);
        if (!channels.isEmpty()) b.claim("channels", channels);
        if (!roles.isEmpty()) b.claim("roles", roles);
        if (session != null) b.claim("sid", session);
        return b.compact();
    }
}
