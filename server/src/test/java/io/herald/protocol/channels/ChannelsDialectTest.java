package io.herald.protocol.channels;

import io.herald.auth.JwtKeys;
import io.herald.auth.Principal;
import io.herald.auth.TokenIssuer;
import io.herald.auth.TokenVerifier;
import io.herald.hub.EnvelopeParser;
import io.herald.protocol.ConnectionPolicy;
import io.herald.testing.EmbeddedConnection;
import io.herald.testing.TestServer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** §6 on an EmbeddedChannel: frames, ids, errors, grants, the subscription limit, refresh and rendering. */
class ChannelsDialectTest {
    static final TokenVerifier VERIFIER = new TokenVerifier(JwtKeys.hmac(TestServer.SECRET), null, null, 0, Clock.systemUTC());
    static final TokenIssuer ISSUER = new TokenIssuer(TestServer.SECRET);
    final ChannelsDialect dialect = new ChannelsDialect(VERIFIER, EmbeddedConnection.CLOCK);

    static Principal principal(String sub, String... channels) {
        return new Principal(sub, Instant.parse("2030-01-01T00:00:00Z"), Set.of(), Set.of(), List.of(channels), Set.of());
    }

    @Test
    void connectedFrameNamesTheUserAndExpiry() {
        try (EmbeddedConnection c = new EmbeddedConnection(dialect, principal("carol", "a"), null)) {
            assertEquals(List.of("{\"type\":\"connected\",\"data\":{\"user_id\":\"carol\",\"expires_at\":\"2030-01-01T00:00:00.000Z\"}}"),
                    c.texts());
        }
    }

    @Test
    void grantsAreExactOrTrailingStarPrefixesOnly() {
        List<String> grants = List.of("conversation:conv-123", "team:blue:*", "odd*name");
        assertTrue(ChannelPermissions.allows(grants, "conversation:conv-123"));
        assertTrue(ChannelPermissions.allows(grants, "team:blue:general"));
        assertFalse(ChannelPermissions.allows(grants, "oddball"), "only a trailing * is a wildcard");
        assertTrue(ChannelPermissions.allows(grants, "odd*name"));
        assertFalse(ChannelPermissions.allows(grants, "conversation:conv-1234"));
        assertFalse(ChannelPermissions.allows(grants, "team:bluegreen"));
        assertFalse(ChannelPermissions.allows(grants, "team:blue"));
        assertFalse(ChannelPermissions.allows(grants, "team:red:x"));
        assertFalse(ChannelPermissions.allows(List.of("a*b"), "aXb"), "a * inside an entry is literal");
        assertTrue(ChannelPermissions.allows(List.of("a*b"), "a*b"));
        assertTrue(ChannelPermissions.allows(List.of("*"), "anything"));
        assertFalse(ChannelPermissions.allows(List.of(), "anything"));
        assertFalse(ChannelPermissions.allows(List.of("*"), null));
    }

    @Test
    void subscribeAnswersWithTheIdAndEventsRenderOnce() throws Exception {
        try (EmbeddedConnection c = new EmbeddedConnection(dialect, principal("carol", "team:*"), null)) {
            c.texts();
            c.send("{\"type\":\"subscribe\",\"id\":\"q\\\"1\",\"data\":{\"channel\":\"team:x\"}}");
            assertEquals(List.of("{\"type\":\"subscribed\",\"id\":\"q\\\"1\",\"data\":{\"channel\":\"team:x\"}}"), c.texts());
            c.hub.publish(new EnvelopeParser().parseOne("{\"topic\":\"channel:team:x\",\"event_type\":\"notification\",\"data\":[1,{\"a\":null}]}"
                    .getBytes(StandardCharsets.UTF_8)));
            c.hub.publish(new EnvelopeParser().parseOne("{\"topic\":\"channel:team:x\",\"event_type\":\"ping\"}"
                    .getBytes(StandardCharsets.UTF_8)));
            assertEquals(List.of(
                    "{\"type\":\"notification\",\"channel\":\"team:x\",\"data\":[1,{\"a\":null}],\"timestamp\":\"2026-11-22T10:00:00.000Z\"}",
                    "{\"type\":\"ping\",\"channel\":\"team:x\",\"data\":{},\"timestamp\":\"2026-11-22T10:00:00.000Z\"}"), c.texts());
        }
    }

    @Test
    void errorsFollowTheContractShape() {
        try (EmbeddedConnection c = new EmbeddedConnection(dialect, principal("carol", "team:*"), null)) {
            c.texts();
            c.send("{\"type\":\"subscribe\",\"id\":1,\"data\":{\"channel\":\"secret\"}}");
            c.send("{\"type\":\"subscribe\",\"id\":2,\"data\":{\"channel\":\"\"}}");
            c.send("{\"type\":\"nope\"}");
            assertEquals(List.of(
                    "{\"type\":\"error\",\"id\":1,\"data\":{\"code\":\"unauthorized\",\"message\":\"channel not allowed by the token\"}}",
                    "{\"type\":\"error\",\"id\":2,\"data\":{\"code\":\"subscription_failed\",\"message\":\"invalid channel name\"}}",
                    "{\"type\":\"error\",\"data\":{\"code\":\"invalid_request\",\"message\":\"unknown type\"}}"), c.texts());
        }
    }

    @Test
    void theThousandAndFirstSubscriptionFails() {
        ConnectionPolicy fast = new ConnectionPolicy(1000, Duration.ofSeconds(10), Duration.ofSeconds(90),
                1_000_000, 1_000_000, 100, Duration.ofSeconds(2));
        try (EmbeddedConnection c = new EmbeddedConnection(dialect, principal("carol", "*"), null, fast)) {
            c.texts();
            for (int i = 0; i < ChannelsDialect.MAX_SUBSCRIPTIONS; i++) {
                c.send("{\"type\":\"subscribe\",\"data\":{\"channel\":\"c" + i + "\"}}");
            }
            assertEquals(ChannelsDialect.MAX_SUBSCRIPTIONS, c.texts().size());
            c.send("{\"type\":\"subscribe\",\"id\":1,\"data\":{\"channel\":\"one-more\"}}");
            c.send("{\"type\":\"subscribe\",\"id\":2,\"data\":{\"channel\":\"c7\"}}");
            assertEquals(List.of(
                    "{\"type\":\"error\",\"id\":1,\"data\":{\"code\":\"subscription_failed\",\"message\":\"limit of 1000 subscriptions reached\"}}",
                    "{\"type\":\"subscribed\",\"id\":2,\"data\":{\"channel\":\"c7\"}}"), c.texts(),
                    "at the limit a repeated subscribe is still answered");
            assertEquals(ChannelsDialect.MAX_SUBSCRIPTIONS, c.connection.topics().size());
        }
    }

    @Test
    void refreshReplacesGrantsAndEndsWhatTheyNoLongerAllow() {
        try (EmbeddedConnection c = new EmbeddedConnection(dialect, principal("carol", "a", "b"), null)) {
            c.send("{\"type\":\"subscribe\",\"data\":{\"channel\":\"a\"}}");
            c.send("{\"type\":\"subscribe\",\"data\":{\"channel\":\"b\"}}");
            c.texts();
            String token = ISSUER.issue("carol", List.of(), List.of(), List.of("a", "c"), List.of(), Duration.ofHours(2));
            c.send("{\"type\":\"refresh\",\"id\":5,\"data\":{\"token\":\"" + token + "\"}}");
            List<String> out = c.texts();
            assertEquals(2, out.size(), out.toString());
            assertTrue(out.get(0).startsWith("{\"type\":\"refreshed\",\"id\":5,\"data\":{\"expires_at\":\""), out.get(0));
            assertEquals("{\"type\":\"unsubscribed\",\"data\":{\"channel\":\"b\"}}", out.get(1));
            assertEquals(List.of("a", "c"), c.connection.principal().channels());
            assertEquals(Set.of("channel:a"), Set.copyOf(c.connection.topics()));
            assertTrue(c.channel.isActive());
        }
    }

    @Test
    void forceSyncNamesTheChannel() {
        try (EmbeddedConnection c = new EmbeddedConnection(dialect, principal("carol", "a"), null)) {
            var frame = dialect.forceSync(io.herald.hub.Topic.channel("a"), c.channel.alloc());
            try {
                assertEquals("{\"type\":\"force_sync\",\"channel\":\"a\"}", EmbeddedConnection.payload(frame));
            } finally {
                frame.release();
            }
            assertEquals(null, dialect.forceSync(io.herald.hub.Topic.share("s"), c.channel.alloc()));
        }
    }

    @Test
    void clientInputOverOneHundredTwentyEightCharactersIsNeverEchoed() {
        // §8.3: a longer id is invalid_request, answered without the id; a long name is not repeated either.
        try (EmbeddedConnection c = new EmbeddedConnection(dialect, principal("carol", "*"), null)) {
            c.texts();
            c.send("{\"type\":\"ping\",\"id\":\"" + "i".repeat(129) + "\"}");
            assertEquals(List.of("{\"type\":\"error\",\"data\":{\"code\":\"invalid_request\","
                    + "\"message\":\"id longer than 128 characters\"}}"), c.texts());
            c.send("{\"type\":\"unsubscribe\",\"id\":1,\"data\":{\"channel\":\"" + "c".repeat(5000) + "\"}}");
            assertEquals(List.of("{\"type\":\"error\",\"id\":1,\"data\":{\"code\":\"invalid_request\","
                    + "\"message\":\"invalid channel name\"}}"), c.texts());
        }
    }
}
