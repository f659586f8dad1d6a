package io.herald.protocol.socketio;

import io.herald.auth.JwtKeys;
import io.herald.auth.TokenIssuer;
import io.herald.auth.TokenVerifier;
import io.herald.hub.Envelope;
import io.herald.hub.Topic;
import io.herald.protocol.Disconnect;
import io.herald.testing.EmbeddedConnection;
import io.herald.testing.TestServer;
import io.herald.transport.OriginPolicy;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Socket.IO dialect over a WebSocket on an EmbeddedChannel (§7): the OPEN packet, CONNECT with in-band
 * authentication, the Engine.IO heartbeat, the connect timeout and rendering.
 */
class SocketIoDialectTest {
    static final TokenVerifier VERIFIER = new TokenVerifier(JwtKeys.hmac(TestServer.SECRET), null, null, 0, Clock.systemUTC());
    static final TokenIssuer ISSUER = new TokenIssuer(TestServer.SECRET);
    static final SocketIoSettings SETTINGS = SocketIoSettings.production();
    final SocketIoDialect dialect = new SocketIoDialect(SETTINGS, VERIFIER, new OriginPolicy(List.of(), false));

    static String token(String sub) {
        return ISSUER.issue(sub, Set.of(), Set.of(), List.of(), Set.of(), java.time.Duration.ofHours(1));
    }

    static String closeOf(EmbeddedConnection c) {
        c.channel.runPendingTasks();
        for (Object o; (o = c.channel.readOutbound()) != null; ) {
            try {
                if (o instanceof CloseWebSocketFrame f) {
                    return f.statusCode() + " " + f.reasonText();
                }
            } finally {
                io.netty.util.ReferenceCountUtil.release(o);
            }
        }
        return null;
    }

    @Test
    void opensWithTheEngineIoOpenPacketAndNoUpgrades() {
        try (EmbeddedConnection c = new EmbeddedConnection(dialect, null, null)) {
            List<String> out = c.texts();
            assertEquals(1, out.size());
            assertTrue(out.get(0).matches("0\\{\"sid\":\"[A-Za-z0-9_.-]+\",\"upgrades\":\\[\\],\"pingInterval\":25000,"
                    + "\"pingTimeout\":20000,\"maxPayload\":1000000}"), out.get(0));
        }
    }

    @Test
    void connectWithAValidTokenJoinsTheUsersRoomAndBroadcast() {
        try (EmbeddedConnection c = new EmbeddedConnection(dialect, null, null)) {
            c.texts();
            c.send("40{\"token\":\"" + token("alice") + "\"}");
            List<String> out = c.texts();
            assertEquals(1, out.size());
            assertTrue(out.get(0).matches("40\\{\"sid\":\"[A-Za-z0-9_-]+\"}"), out.get(0));
            assertTrue(c.interest.containsAll(List.of("+user:alice", "+broadcast")), c.interest.toString());
            assertEquals("alice", c.connection.subject());

            c.hub.publish(new Envelope(Topic.user("alice"), "on_asset_upload", "{\"id\":1}".getBytes(StandardCharsets.UTF_8), null, null));
            c.hub.publish(new Envelope(Topic.BROADCAST, "on_server_version", null, null, null));
            c.hub.publish(new Envelope(Topic.user("bob"), "not_for_alice", null, null, null));
            assertEquals(List.of("42[\"on_asset_upload\",{\"id\":1}]", "42[\"on_server_version\"]"), c.texts());
        }
    }

    /**
     * §11 on one connection: a CONNECT that asks for recovery gets a pid and its events an offset string; after the
     * client's DISCONNECT, a CONNECT that does not ask gets §7's frames again, exactly.
     */
    @Test
    void recoveryIsPerConnectAndEndsWithDisconnect() {
        SocketIoDialect recovering = new SocketIoDialect(SETTINGS, VERIFIER, new OriginPolicy(List.of(), false));
        recovering.useRecovery(new io.herald.broker.history.InMemoryHistory(10, java.time.Duration.ofMinutes(1), 1 << 20,
                Clock.systemUTC()), false);
        try (EmbeddedConnection c = new EmbeddedConnection(recovering, null, null)) {
            c.texts();
            c.send("40{\"token\":\"" + token("alice") + "\",\"recover\":true}");
            String connect = c.texts().get(0);
            assertTrue(connect.matches("40\\{\"sid\":\"[A-Za-z0-9_-]+\",\"pid\":\"[A-Za-z0-9_-]{20}~[^\"]+\"}"), connect);
            c.hub.publish(new Envelope(Topic.user("alice"), "n", "1".getBytes(StandardCharsets.UTF_8), null, null).at("E", 1));
            String event = c.texts().get(0);
            assertTrue(event.matches("42\\[\"n\",1,\"[A-Za-z0-9_-]{8}~E\\.1~[A-Za-z0-9_-]+\\.0\"]"), event);

            c.send("41");
            c.send("40{\"token\":\"" + token("alice") + "\"}");
            List<String> again = c.texts();
            assertTrue(again.get(again.size() - 1).matches("40\\{\"sid\":\"[A-Za-z0-9_-]+\"}"), again.toString());
            c.hub.publish(new Envelope(Topic.user("alice"), "n", "2".getBytes(StandardCharsets.UTF_8), null, null).at("E", 2));
            assertEquals(List.of("42[\"n\",2]"), c.texts(), "no extra argument for a connect that did not ask");
        }
    }

    @Test
    void connectWithoutValidCredentialsIsRefusedAndClosed4401() {
        try (EmbeddedConnection c = new EmbeddedConnection(dialect, null, null)) {
            c.texts();
            c.send("40{\"token\":\"not-a-jwt\"}");
            c.channel.runPendingTasks();
            Object first = c.channel.readOutbound();
            assertEquals("44{\"message\":\"unauthorized\"}", EmbeddedConnection.payload((io.netty.buffer.ByteBuf) first));
            io.netty.util.ReferenceCountUtil.release(first);
            assertEquals("4401 unauthorized", closeOf(c));
        }
    }

    @Test
    void anotherUsersTokenInConnectIsRefused() {
        try (EmbeddedConnection c = new EmbeddedConnection(dialect, EmbeddedConnection.principal("alice", Set.of(), Set.of()), null)) {
            c.texts();
            c.send("40{\"token\":\"" + token("bob") + "\"}");
            assertEquals(List.of("44{\"message\":\"unauthorized\"}"), c.texts().subList(0, 1));
        }
    }

    @Test
    void anUnknownNamespaceIsRefusedWithoutClosing() {
        try (EmbeddedConnection c = new EmbeddedConnection(dialect, null, null)) {
            c.texts();
            c.send("40/admin,");
            assertEquals(List.of("44/admin,{\"message\":\"Invalid namespace\"}"), c.texts());
            assertEquals(false, c.connection.isClosing());
        }
    }

    @Test
    void clientPingsAreAnsweredWithTheirPayload() {
        try (EmbeddedConnection c = new EmbeddedConnection(dialect, null, null)) {
            c.texts();
            c.send("2hello");
            assertEquals(List.of("3hello"), c.texts());
        }
    }

    @Test
    void theServerPingsEveryPingIntervalAndClosesWhenThePongIsLate() {
        try (EmbeddedConnection c = new EmbeddedConnection(dialect, null, null)) {
            c.texts();
            c.send("40{\"token\":\"" + token("alice") + "\"}");
            c.texts();
            long start = System.nanoTime();
            long interval = SETTINGS.pingInterval().toNanos();
            c.connection.tick(start + interval / 2);
            assertEquals(List.of(), c.texts(), "no ping before pingInterval");
            c.connection.tick(start + interval + 1_000_000);
            assertEquals(List.of("2"), c.texts());
            c.send("3");
            long afterPong = System.nanoTime();
            c.connection.tick(afterPong + interval / 2);
            assertEquals(List.of(), c.texts(), "the next ping is pingInterval after the pong");
            c.connection.tick(afterPong + interval + 1_000_000);
            assertEquals(List.of("2"), c.texts());
            c.connection.tick(afterPong + interval + SETTINGS.pingTimeout().toNanos() + 2_000_000);
            assertEquals(Disconnect.PING_TIMEOUT.code() + " " + Disconnect.PING_TIMEOUT.reason(), closeOf(c));
        }
    }

    @Test
    void aSocketThatNeverConnectsIsClosedAfterTheConnectTimeout() {
        try (EmbeddedConnection c = new EmbeddedConnection(dialect, null, null)) {
            c.texts();
            c.connection.tick(System.nanoTime() + SETTINGS.connectTimeout().toNanos() + 1_000_000);
            assertEquals("1001 connect timeout", closeOf(c));
        }
    }

    @Test
    void malformedPacketsCloseWithAProtocolError() {
        for (String bad : new String[] {"", "9", "4x", "42{\"not\":\"an array\"}"}) {
            try (EmbeddedConnection c = new EmbeddedConnection(dialect, null, null)) {
                c.texts();
                c.send("40{\"token\":\"" + token("alice") + "\"}");
                c.texts();
                c.send(bad);
                assertEquals("1002 protocol error", closeOf(c), bad);
            }
        }
    }

    @Test
    void forceSyncIsSentForTheUsersRoomAndBroadcastOnly() {
        io.netty.buffer.ByteBuf f = dialect.forceSync(Topic.user("a"), io.netty.buffer.ByteBufAllocator.DEFAULT);
        try {
            assertEquals("42[\"force_sync\"]", EmbeddedConnection.payload(f));
        } finally {
            f.release();
        }
        assertEquals(null, dialect.forceSync(Topic.share("s"), io.netty.buffer.ByteBufAllocator.DEFAULT));
    }
}
