package io.herald.loadtest;

import io.jsonwebtoken.JwtBuilder;
import io.jsonwebtoken.Jwts;
import io.jsonwebtoken.security.Keys;

import javax.crypto.SecretKey;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;

/**
 * Signs HS256 tokens with the server's secret (§2) for clients and for the publisher. The load tool signs with
 * jjwt itself so that its jar does not carry the server.
 */
public final class TokenSigner {
    private final SecretKey key;
    private final Duration ttl;

    /** Throws {@link IllegalArgumentException} when the secret is shorter than HS256 allows (32 bytes). */
    public TokenSigner(String secret, Duration ttl) {
        byte[] bytes = secret.getBytes(StandardCharsets.UTF_8);
        if (bytes.length < 32) {
            throw new IllegalArgumentException("--jwt-secret must be at least 32 bytes (HS256), got " + bytes.length);
        }
        this.key = Keys.hmacShaKeyFor(bytes);
        this.ttl = ttl;
    }

    /** A client token reading {@code shares}, owning {@code devices}. */
    public String client(String subject, List<String> shares, List<String> devices) {
        return client(subject, shares, devices, List.of());
    }

    /** A client token reading {@code shares}, owning {@code devices}, granted {@code channels} (§6). */
    public String client(String subject, List<String> shares, List<String> devices, List<String> channels) {
        JwtBuilder b = builder(subject);
        if (!channels.isEmpty()) {
            b.claim("channels", channels);
        }
        if (!shares.isEmpty()) {
            b.claim("shares", shares);
        }
        if (!devices.isEmpty()) {
            b.claim("devices", devices);
        }
        return b.compact();
    }

    /** A token with role {@code publisher} for {@code POST /api/v1/publish} (§3). */
    public String publisher() {
        return builder("herald-loadtest").claim("roles", List.of("publisher")).compact();
    }

    private JwtBuilder builder(String subject) {
        Instant now = Instant.now();
        return Jwts.builder()
                .subject(subject)
                .issuedAt(Date.from(now))
                .expiration(Date.from(now.plus(ttl)))
                .signWith(key, Jwts.SIG.HS256);
    }
}
