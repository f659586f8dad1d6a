package io.herald.auth;

import io.jsonwebtoken.JwtBuilder;
import io.jsonwebtoken.Jwts;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenVerifierTest {
    private static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    private static final String SECRET = "0123456789abcdef0123456789abcdef"; // exactly 32 bytes
    private static final String OTHER_SECRET = "fedcba9876543210fedcba9876543210-other";
    private static final String LONG_SECRET = SECRET + SECRET; // 64 bytes: enough for HS512

    @TempDir
    Path dir;

    private static TokenVerifier hmacVerifier(String secret) {
        return new TokenVerifier(JwtKeys.hmac(secret), null, null, 5, CLOCK);
    }

    private static final TokenVerifier HMAC = hmacVerifier(SECRET);

    private static JwtBuilder claims() {
        return Jwts.builder().subject("alice").expiration(Date.from(NOW.plusSeconds(3600)));
    }

    private static String hs256(JwtBuilder b) {
        return b.signWith(JwtKeys.hmac(SECRET)).compact();
    }

    private static String b64(String s) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    /** A token signed by hand, so that jjwt's own builder checks cannot refuse it. */
    private static String handSigned(String macAlg, String jwsAlg, byte[] key, String payload) throws Exception {
        String input = b64("{\"alg\":\"" + jwsAlg + "\",\"typ\":\"JWT\"}") + "." + b64(payload);
        Mac mac = Mac.getInstance(macAlg);
        mac.init(new SecretKeySpec(key, macAlg));
        byte[] sig = mac.doFinal(input.getBytes(StandardCharsets.US_ASCII));
        return input + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(sig);
    }

    private static String payload() {
        return "{\"sub\":\"alice\",\"exp\":" + NOW.plusSeconds(3600).getEpochSecond() + "}";
    }

    private static void invalid(TokenVerifier v, String token) {
        assertThrows(InvalidTokenException.class, () -> v.verify(token));
    }

    private Path pem(PublicKey key) throws Exception {
        Path f = Files.createTempFile(dir, "key", ".pem");
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(key.getEncoded());
        Files.writeString(f, "-----BEGIN PUBLIC KEY-----\n" + body + "\n-----END PUBLIC KEY-----\n", StandardCharsets.US_ASCII);
        return f;
    }

    private static KeyPair rsa() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        return g.generateKeyPair();
    }

    private static KeyPair ec() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    private static KeyPair ed25519() throws Exception {
        return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    }

    private TokenVerifier publicVerifier(KeyPair pair) throws Exception {
        Key key = JwtKeys.publicKey(pem(pair.getPublic()));
        return new TokenVerifier(key, null, null, 5, CLOCK);
    }

    // §2 claims table: sub, exp, shares, devices, channels, roles
    @Test
    void validTokenGivesPrincipal() throws Exception {
        String token = hs256(claims().claim("shares", List.of("s1", "s2")).claim("devices", List.of("d1"))
                .claim("channels", List.of("conversation:*")).claim("roles", List.of("publisher")));
        Principal p = HMAC.verify(token);
        assertEquals("alice", p.subject());
        assertEquals(NOW.plusSeconds(3600), p.expiresAt());
        assertEquals(List.of("s1", "s2"), List.copyOf(p.shares()));
        assertEquals(Set.of("d1"), p.devices());
        assertEquals(List.of("conversation:*"), p.channels());
        assertEquals(Set.of("publisher"), p.roles());
        assertTrue(p.mayPublish());
    }

    // §2: claims that are absent read as empty
    @Test
    void absentListClaimsAreEmpty() throws Exception {
        Principal p = HMAC.verify(hs256(claims()));
        assertTrue(p.shares().isEmpty() && p.devices().isEmpty() && p.channels().isEmpty() && p.roles().isEmpty());
        assertFalse(p.mayPublish());
    }

    /** §12: a {@code sid} claim names the login session, whose {@code session:{id}} topic the connection receives. */
    @Test
    void aSidClaimNamesTheSession() throws Exception {
        Principal p = HMAC.verify(hs256(claims().claim("sid", "sess-1")));
        assertEquals("sess-1", p.session());
        assertEquals("session:sess-1", p.sessionTopic().name());
        assertNull(HMAC.verify(hs256(claims())).session(), "no sid, no session");
        assertNull(HMAC.verify(hs256(claims().claim("sid", "no spaces allowed"))).sessionTopic(),
                "a sid that is no topic id gives no topic");
        invalid(HMAC, hs256(claims().claim("sid", 42)));
    }

    // §2: an HMAC secret accepts HS384 and HS512 too
    @Test
    void hs384AndHs512AreAcceptedWithLongEnoughSecret() throws Exception {
        TokenVerifier v = hmacVerifier(LONG_SECRET);
        byte[] key = LONG_SECRET.getBytes(StandardCharsets.UTF_8);
        assertEquals("alice", v.verify(handSigned("HmacSHA384", "HS384", key, payload())).subject());
        assertEquals("alice", v.verify(handSigned("HmacSHA512", "HS512", key, payload())).subject());
        assertEquals("alice", v.verify(claims().signWith((javax.crypto.SecretKey) JwtKeys.hmac(LONG_SECRET), Jwts.SIG.HS256).compact()).subject());
    }

    // §2: a missing token is invalid
    @Test
    void nullOrEmptyIsInvalid() {
        invalid(HMAC, null);
        invalid(HMAC, "");
    }

    // §2: garbage is invalid
    @ParameterizedTest
    @ValueSource(strings = {"garbage", "a.b.c", "a.b", "....", "eyJhbGciOiJIUzI1NiJ9.e30.", "Bearer x.y.z"})
    void garbageIsInvalid(String token) {
        invalid(HMAC, token);
    }

    // §2: a bad signature is invalid
    @Test
    void otherSecretIsInvalid() {
        invalid(HMAC, claims().signWith(JwtKeys.hmac(OTHER_SECRET)).compact());
    }

    // §2: a tampered payload is a bad signature
    @Test
    void tamperedPayloadIsInvalid() {
        String[] parts = hs256(claims()).split("\\.");
        String forged = parts[0] + "." + b64("{\"sub\":\"mallory\",\"exp\":" + NOW.plusSeconds(3600).getEpochSecond() + "}")
                + "." + parts[2];
        invalid(HMAC, forged);
    }

    // §2: alg none is invalid
    @Test
    void algNoneIsInvalid() {
        invalid(HMAC, b64("{\"alg\":\"none\"}") + "." + b64(payload()) + ".");
        invalid(HMAC, b64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + b64(payload()) + ".");
    }

    // §2: a past exp (beyond the leeway) is invalid
    @Test
    void expiredIsInvalid() {
        invalid(HMAC, hs256(claims().expiration(Date.from(NOW.minusSeconds(6)))));
    }

    // §1 HERALD_JWT_LEEWAY: an exp within the leeway is still accepted
    @Test
    void expWithinLeewayIsAccepted() throws Exception {
        Principal p = HMAC.verify(hs256(claims().expiration(Date.from(NOW.minusSeconds(4)))));
        assertEquals(NOW.minusSeconds(4), p.expiresAt());
        assertEquals(NOW.plusSeconds(1), HMAC.deadline(p)); // §8.2: exp plus leeway
    }

    // §2: exp is required
    @Test
    void missingExpIsInvalid() {
        invalid(HMAC, Jwts.builder().subject("alice").signWith(JwtKeys.hmac(SECRET)).compact());
    }

    // §2 claims table: sub is required
    @Test
    void missingSubIsInvalid() {
        invalid(HMAC, Jwts.builder().expiration(Date.from(NOW.plusSeconds(60))).signWith(JwtKeys.hmac(SECRET)).compact());
    }

    // §2: a future nbf is invalid
    @Test
    void futureNbfIsInvalid() {
        invalid(HMAC, hs256(claims().notBefore(Date.from(NOW.plusSeconds(60)))));
    }

    // §1 HERALD_JWT_LEEWAY applies to nbf too
    @Test
    void nbfWithinLeewayIsAccepted() throws Exception {
        assertEquals("alice", HMAC.verify(hs256(claims().notBefore(Date.from(NOW.plusSeconds(4))))).subject());
    }

    // §1/§2: when HERALD_JWT_ISSUER is set, iss must match
    @Test
    void wrongIssuerIsInvalid() throws Exception {
        TokenVerifier v = new TokenVerifier(JwtKeys.hmac(SECRET), "https://auth.example", null, 5, CLOCK);
        assertEquals("alice", v.verify(hs256(claims().issuer("https://auth.example"))).subject());
        invalid(v, hs256(claims().issuer("https://evil.example")));
        invalid(v, hs256(claims()));
    }

    // §1/§2: when HERALD_JWT_AUDIENCE is set, aud must match
    @Test
    void wrongAudienceIsInvalid() throws Exception {
        TokenVerifier v = new TokenVerifier(JwtKeys.hmac(SECRET), null, "herald", 5, CLOCK);
        assertEquals("alice", v.verify(hs256(claims().audience().add("herald").and())).subject());
        invalid(v, hs256(claims().audience().add("other").and()));
        invalid(v, hs256(claims()));
    }

    // §2: an algorithm of another family (RS256 for an HMAC secret) is invalid
    @Test
    void rs256ForHmacVerifierIsInvalid() throws Exception {
        invalid(HMAC, claims().signWith(rsa().getPrivate()).compact());
    }

    // §2: a weak key (HS512 needs 64 bytes; the secret has 32) is invalid
    @Test
    void hs512WithThirtyTwoByteKeyIsInvalid() throws Exception {
        invalid(HMAC, handSigned("HmacSHA512", "HS512", SECRET.getBytes(StandardCharsets.UTF_8), payload()));
    }

    // §2: a public key accepts its family (RSA → RS256)
    @Test
    void rsaPemAcceptsRs256() throws Exception {
        KeyPair pair = rsa();
        assertEquals("alice", publicVerifier(pair).verify(claims().signWith(pair.getPrivate()).compact()).subject());
    }

    // §2: a public key accepts its family (EC P-256 → ES256)
    @Test
    void ecPemAcceptsEs256() throws Exception {
        KeyPair pair = ec();
        assertEquals("alice", publicVerifier(pair).verify(claims().signWith(pair.getPrivate()).compact()).subject());
    }

    // §2: a public key accepts its family (Ed25519 → EdDSA)
    @Test
    void ed25519PemAcceptsEdDsa() throws Exception {
        KeyPair pair = ed25519();
        assertEquals("alice", publicVerifier(pair).verify(claims().signWith(pair.getPrivate()).compact()).subject());
    }

    // §2: a public key refuses HMAC tokens
    @Test
    void publicKeysRefuseHs256() throws Exception {
        String hs = hs256(claims());
        invalid(publicVerifier(rsa()), hs);
        invalid(publicVerifier(ec()), hs);
        invalid(publicVerifier(ed25519()), hs);
    }

    // §2: HS256 keyed with the public key's own bytes (the classic algorithm confusion) is invalid
    @Test
    void hs256KeyedWithPublicKeyBytesIsInvalid() throws Exception {
        KeyPair pair = rsa();
        Path pem = pem(pair.getPublic());
        TokenVerifier v = new TokenVerifier(JwtKeys.publicKey(pem), null, null, 5, CLOCK);
        invalid(v, handSigned("HmacSHA256", "HS256", Files.readAllBytes(pem), payload()));
        invalid(v, handSigned("HmacSHA256", "HS256", pair.getPublic().getEncoded(), payload()));
    }

    // §2: a public key accepts only its own key, and only its own family
    @Test
    void publicKeyRefusesOtherKeyAndFamily() throws Exception {
        TokenVerifier rsaVerifier = publicVerifier(rsa());
        invalid(rsaVerifier, claims().signWith(rsa().getPrivate()).compact());
        invalid(rsaVerifier, claims().signWith(ec().getPrivate()).compact());
        invalid(publicVerifier(ec()), claims().signWith(ed25519().getPrivate()).compact());
    }

    private static HttpRequest request(String uri, String authorization) {
        HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri);
        if (authorization != null) {
            r.headers().set("Authorization", authorization);
        }
        return r;
    }

    // §2: the token comes from the query parameter
    @Test
    void upgradeReadsQueryToken() {
        String uri = "/api/v1/realtime/ws?x=1&token=from-query";
        assertEquals("from-query", BearerTokens.fromUpgrade(request(uri, null), new QueryStringDecoder(uri)));
    }

    // §2: when both are present the Authorization header wins
    @Test
    void upgradePrefersHeaderOverQuery() {
        String uri = "/api/v1/realtime/ws?token=from-query";
        assertEquals("from-header", BearerTokens.fromUpgrade(request(uri, "Bearer from-header"), new QueryStringDecoder(uri)));
    }

    // §2: no token anywhere
    @Test
    void upgradeWithoutTokenIsNull() {
        String uri = "/api/v1/realtime/ws";
        assertNull(BearerTokens.fromUpgrade(request(uri, "Basic dXNlcjpwYXNz"), new QueryStringDecoder(uri)));
    }

    // §2: request targets are logged with token= redacted
    @Test
    void redactRemovesTokenValues() {
        assertEquals("/ws?token=<redacted>", BearerTokens.redact("/ws?token=eyJ.abc.def"));
        // §7: the Engine.IO sid is redacted like a token
        assertEquals("/socket.io/?EIO=4&transport=polling&sid=<redacted>",
                BearerTokens.redact("/socket.io/?EIO=4&transport=polling&sid=ab.cdef"));
        assertEquals("/ws?a=1&token=<redacted>&b=2", BearerTokens.redact("/ws?a=1&token=eyJ.abc.def&b=2"));
        assertEquals("/ws?TOKEN=<redacted>&access_token=<redacted>", BearerTokens.redact("/ws?TOKEN=a&access_token=b"));
        assertEquals("/ws?x=a=b&token=<redacted>#top", BearerTokens.redact("/ws?x=a=b&token=c#top"));
        assertEquals("/ws?no=secret", BearerTokens.redact("/ws?no=secret"));
        assertEquals("/ws", BearerTokens.redact("/ws"));
    }

    // §2: "a token never appears in a log line": whatever spelling the upgrade reads as the token is redacted
    @ParameterizedTest
    @ValueSource(strings = {"/ws?token=SECRETTOKEN", "/ws?a=1;token=SECRETTOKEN", "/ws?%74oken=SECRETTOKEN",
            "/ws?tok%65n=SECRETTOKEN"})
    void redactCoversEveryQuerySpellingTheUpgradeReads(String uri) {
        assertEquals("SECRETTOKEN", BearerTokens.fromUpgrade(request(uri, null), new QueryStringDecoder(uri)));
        assertFalse(BearerTokens.redact(uri).contains("SECRETTOKEN"), BearerTokens.redact(uri));
    }
}
