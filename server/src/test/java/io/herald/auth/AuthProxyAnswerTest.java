package io.herald.auth;

import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** §12: what Herald makes of an auth proxy's 200 answer, hostile ones included, and how credentials are keyed. */
class AuthProxyAnswerTest {
    static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");
    static MultiThreadIoEventLoopGroup group;
    static AuthProxy proxy;

    @BeforeAll
    static void start() {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        proxy = new AuthProxy(URI.create("http://127.0.0.1:9/auth"), Duration.ofSeconds(1), Duration.ofSeconds(30),
                Clock.fixed(NOW, ZoneOffset.UTC), group, NioSocketChannel.class);
    }

    @AfterAll
    static void stop() {
        proxy.close();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
    }

    static Authentication parse(String json) throws Exception {
        return proxy.parseAnswer(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aFullAnswerBecomesAPrincipalAndItsGreeting() throws Exception {
        Authentication a = parse("{\"user_id\":\"u\",\"session_id\":\"s\",\"expires_at\":" + (NOW.getEpochSecond() + 60)
                + ",\"shares\":[\"a\",\"b\"],\"devices\":[\"d\"],\"channels\":[\"room:*\"],\"roles\":[\"admin\"],"
                + "\"events\":[{\"event_type\":\"on_server_version\",\"data\":{\"major\":1}},{\"event_type\":\"bare\"}],"
                + "\"unknown\":{\"x\":[1,2]}}");
        assertTrue(a.accepted());
        Principal p = a.principal();
        assertEquals("u", p.subject());
        assertEquals("s", p.session());
        assertEquals(NOW.plusSeconds(60), p.expiresAt());
        assertEquals(List.of("a", "b"), List.copyOf(p.shares()));
        assertTrue(p.ownsDevice("d") && p.hasRole("admin"));
        assertEquals(List.of("room:*"), p.channels());
        assertEquals(2, a.greeting().size());
        assertEquals("{\"major\":1}", new String(a.greeting().get(0).data(), StandardCharsets.UTF_8));
        assertNull(a.greeting().get(1).data());
    }

    @Test
    void onlyTheUserIsRequired() throws Exception {
        Authentication a = parse("{\"user_id\":\"u\",\"session_id\":null,\"shares\":null}");
        assertTrue(a.accepted());
        assertNull(a.principal().expiresAt(), "no expiry: the session lasts until revoked");
        assertNull(a.principal().session());
        assertTrue(a.principal().shares().isEmpty());
    }

    @Test
    void anAnswerThatExpiredAlreadyIsARefusal() throws Exception {
        Authentication a = parse("{\"user_id\":\"u\",\"expires_at\":" + (NOW.getEpochSecond() - 1) + "}");
        assertEquals(Authentication.Failure.UNAUTHORIZED, a.failure());
    }

    @Test
    void malformedAnswersAreRefusedAsBadAnswersNotAsUsers() {
        for (String bad : List.of("", "[]", "{}", "{\"user_id\":\"\"}", "{\"user_id\":7}", "{\"user_id\":\"u\",\"shares\":\"s\"}",
                "{\"user_id\":\"u\",\"shares\":[1]}", "{\"user_id\":\"u\",\"expires_at\":\"soon\"}",
                "{\"user_id\":\"u\",\"events\":[{\"data\":1}]}", "{\"user_id\":\"u\",\"events\":[7]}",
                "{\"user_id\":\"u\"", "{\"user_id\":\"u\",\"events\":[{\"event_type\":\"" + "x".repeat(201) + "\"}]}")) {
            assertThrows(Exception.class, () -> parse(bad), bad);
        }
    }

    @Test
    void aGreetingIsBounded() {
        StringBuilder events = new StringBuilder("[");
        for (int i = 0; i <= AuthProxy.MAX_GREETING_EVENTS; i++) {
            events.append(i == 0 ? "" : ",").append("{\"event_type\":\"e\"}");
        }
        assertThrows(Exception.class, () -> parse("{\"user_id\":\"u\",\"events\":" + events + "]}"));
    }

    @Test
    void deeplyNestedDataIsRefusedNotAStackOverflow() {
        String deep = "[".repeat(10_000) + "]".repeat(10_000);
        assertThrows(Exception.class, () -> parse("{\"user_id\":\"u\",\"events\":[{\"event_type\":\"e\",\"data\":" + deep + "}]}"));
    }

    @Test
    void credentialsAreKeyedByAHashThatTellsThemApart() {
        DefaultHttpHeaders h = new DefaultHttpHeaders();
        h.set("x-api-key", "k1");
        h.set("x-other", "not forwarded");
        Credentials a = Credentials.of("realtime", "tok-SECRET", h, List.of("x-api-key"), "10.0.0.1");
        Credentials sameFromElsewhere = Credentials.of("realtime", "tok-SECRET", h, List.of("x-api-key"), "10.0.0.2");
        assertEquals(Map.of("x-api-key", "k1"), a.headers());
        assertEquals(a.key(), sameFromElsewhere.key(), "one user's devices share an answer");
        assertNotEquals(a.key(), a.withToken("u").key());
        assertNotEquals(a.key(), Credentials.of("sync", "tok-SECRET", h, List.of("x-api-key"), null).key(), "per endpoint");
        assertNotEquals(new Credentials("realtime", "ab", Map.of(), null).key(),
                new Credentials("realtime", "a", Map.of("b", ""), null).key(), "no ambiguity between parts");
        assertFalse(a.key().contains("k1"));
        assertFalse(a.toString().contains("k1") || a.toString().contains("SECRET"), a.toString());
    }

    @Test
    void noCredentialsAndOverlongOnesAreRefusedWithoutACall() {
        assertEquals(Authentication.Failure.UNAUTHORIZED,
                proxy.check(new Credentials("realtime", null, Map.of(), null)).join().failure());
        assertEquals(Authentication.Failure.UNAUTHORIZED,
                proxy.check(new Credentials("realtime", "x".repeat(Credentials.MAX_TOKEN_CHARS + 1), Map.of(), null))
                        .join().failure());
        assertEquals(0, proxy.calls());
    }

    @Test
    void onlyJwsShapedTokensAreTriedLocally() {
        assertTrue(Authenticator.isJws("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln"));
        assertFalse(Authenticator.isJws("ok:alice"));
        assertFalse(Authenticator.isJws("a.b.c"));
        assertFalse(Authenticator.isJws("eyJ.a.b.c"));
        assertFalse(Authenticator.isJws("eyJh bG.a.b"));
    }
}
