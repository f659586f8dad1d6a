package io.herald.e2e;

import io.herald.auth.TokenIssuer;
import io.herald.config.ConfigKey;
import io.herald.testing.TestServer;
import io.herald.testing.WsTestClient;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** §8.1 idle close and heartbeats, §8.2 expiry, with a 1 s idle timeout and no leeway. */
class IdleAndExpiryE2ETest {
    @RegisterExtension
    static final TestServer server = TestServer.perClass(b -> b.set(ConfigKey.IDLE_TIMEOUT, "1s").set(ConfigKey.JWT_LEEWAY, "0s"));

    @Test
    void aSilentConnectionIsClosedIdleWhileAPingingOneStays() throws Exception {
        try (WsTestClient silent = RealtimeE2ETestSupport.realtime(server, "alice");
             WsTestClient json = RealtimeE2ETestSupport.realtime(server, "bob");
             WsTestClient control = RealtimeE2ETestSupport.realtime(server, "carol")) {
            long until = System.nanoTime() + Duration.ofMillis(2500).toNanos();
            while (System.nanoTime() < until) {
                json.send("{\"action\":\"ping\"}");
                control.sendFrame(new PingWebSocketFrame()); // RFC 6455 ping frames count as traffic too
                Thread.sleep(250);
            }
            assertEquals(new WsTestClient.Closed(1001, "idle timeout"), silent.awaitClose());
            assertFalse(json.isClosed(), "a client that pings stays");
            assertFalse(control.isClosed(), "a client that sends ping frames stays");
            assertEquals("{\"type\":\"pong\"}", json.next());
        }
    }

    @Test
    void connectionsCloseWhenTheTokenExpires() {
        TokenIssuer issuer = new TokenIssuer(TestServer.SECRET);
        String token = issuer.issue("alice", List.of("s1"), List.of("d1"), List.of(), List.of(), Duration.ofSeconds(2));
        try (WsTestClient realtime = WsTestClient.connect(server.ws("/api/v1/realtime/ws?token=" + token));
             WsTestClient sync = WsTestClient.connect(server.ws("/api/v1/sync/ws/d1?token=" + token))) {
            assertEquals("connected", realtime.nextJson().get("type").asText());
            // keep both busy so that idleness cannot be the reason
            // either may close between a check and a send: trySend, not send
            for (int i = 0; i < 14 && !(realtime.isClosed() && sync.isClosed()); i++) {
                realtime.trySend("{\"action\":\"ping\"}");
                sync.trySend("{\"type\":\"ping\"}");
                try {
                    Thread.sleep(250);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            assertEquals(new WsTestClient.Closed(4401, "token expired"), realtime.awaitClose());
            assertEquals(new WsTestClient.Closed(4401, "token expired"), sync.awaitClose());
        }
    }
}
