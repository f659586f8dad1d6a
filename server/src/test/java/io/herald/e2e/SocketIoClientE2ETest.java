package io.herald.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.herald.testing.SocketIoNodeClient;
import io.herald.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * §7 with the official {@code socket.io-client} 4.8 from npm, in node: connects, receives its own user's events
 * and broadcasts (never another user's), events without data, Immich's path and header, and a bad token.
 */
class SocketIoClientE2ETest {
    @RegisterExtension
    static final TestServer server = TestServer.perClass();

    static ObjectNode websocket(String user) {
        ObjectNode o = SocketIoNodeClient.options("http://127.0.0.1:" + server.port());
        o.putArray("transports").add("websocket");
        o.putObject("auth").put("token", server.userToken(user));
        return o;
    }

    @Test
    void aWebSocketClientGetsItsOwnEventsAndBroadcastsButNoOneElses() throws Exception {
        try (SocketIoNodeClient alice = SocketIoNodeClient.start(websocket("alice"));
             SocketIoNodeClient bob = SocketIoNodeClient.start(websocket("bob"))) {
            assertEquals("websocket", alice.next("connect").get("transport").asText());
            bob.next("connect");
            server.publish("{\"topic\":\"user:alice\",\"event_type\":\"on_upload_success\",\"data\":{\"id\":\"a1\"}}");
            server.publish("{\"topic\":\"user:bob\",\"event_type\":\"on_asset_trash\",\"data\":[\"b1\"]}");
            server.publish("{\"topic\":\"broadcast\",\"event_type\":\"on_new_release\"}");
            server.publish("{\"topic\":\"share:s1\",\"event_type\":\"file_created\",\"data\":{}}");

            JsonNode upload = alice.nextEvent("on_upload_success");
            assertEquals("[{\"id\":\"a1\"}]", upload.get("args").toString());
            JsonNode release = alice.nextEvent("on_new_release");
            assertEquals("[]", release.get("args").toString(), "no data: an event without arguments");
            assertEquals("[[\"b1\"]]", bob.nextEvent("on_asset_trash").get("args").toString());
            bob.nextEvent("on_new_release");
            List<JsonNode> more = alice.during(Duration.ofMillis(300));
            assertTrue(more.stream().noneMatch(j -> "event".equals(j.path("on").asText())),
                    "nothing of bob's, nothing of shares: " + more);
        }
    }

    @Test
    void aDefaultClientStartsOnPollingAndUpgradesWithoutLosingOrRepeatingAnEvent() throws Exception {
        ObjectNode o = SocketIoNodeClient.options("http://127.0.0.1:" + server.port());
        o.putObject("auth").put("token", server.userToken("dana"));
        int events = 300;
        try (SocketIoNodeClient dana = SocketIoNodeClient.start(o)) {
            assertEquals("polling", dana.next("open").get("transport").asText(), "default options: polling first");
            dana.next("connect");
            // Events flow while the client probes and upgrades to WebSocket.
            Thread publisher = new Thread(() -> {
                for (int i = 0; i < events; i++) {
                    server.publish("{\"topic\":\"user:dana\",\"event_type\":\"n\",\"data\":" + i + "}");
                }
            });
            publisher.start();
            publisher.join();
            for (int i = 0; i < events; i++) {
                JsonNode e = dana.nextEvent("n");
                assertEquals(i, e.get("args").get(0).asInt(), "in order, none lost, none twice");
            }
            assertTrue(dana.saw("upgrade"), "the client moved to WebSocket");
            server.publish("{\"topic\":\"broadcast\",\"event_type\":\"after\"}");
            assertEquals("[]", dana.nextEvent("after").get("args").toString());
        }
    }

    @Test
    void aPollingOnlyClientGetsItsEvents() {
        ObjectNode o = SocketIoNodeClient.options("http://127.0.0.1:" + server.port());
        o.putArray("transports").add("polling");
        o.putObject("auth").put("token", server.userToken("erin"));
        try (SocketIoNodeClient erin = SocketIoNodeClient.start(o)) {
            assertEquals("polling", erin.next("connect").get("transport").asText());
            server.publish("{\"topic\":\"user:erin\",\"event_type\":\"on_asset_update\",\"data\":{\"id\":\"e1\"}}");
            server.publish("{\"topic\":\"broadcast\",\"event_type\":\"on_config_update\"}");
            assertEquals("[{\"id\":\"e1\"}]", erin.nextEvent("on_asset_update").get("args").toString());
            assertEquals("[]", erin.nextEvent("on_config_update").get("args").toString());
        }
    }

    @Test
    void immichsPathAndHeader() {
        ObjectNode o = SocketIoNodeClient.options("http://127.0.0.1:" + server.port());
        o.put("path", "/api/socket.io");
        o.putArray("transports").add("websocket");
        o.putObject("extraHeaders").put("x-immich-user-token", server.userToken("carol"));
        try (SocketIoNodeClient carol = SocketIoNodeClient.start(o)) {
            carol.next("connect");
            server.publish("{\"topic\":\"user:carol\",\"event_type\":\"AssetUploadReadyV1\",\"data\":{\"asset\":{\"id\":\"x\"}}}");
            assertEquals("[{\"asset\":{\"id\":\"x\"}}]", carol.nextEvent("AssetUploadReadyV1").get("args").toString());
        }
    }

    @Test
    void aBadTokenGivesConnectErrorUnauthorizedAndNoReconnectLoop() throws Exception {
        ObjectNode o = SocketIoNodeClient.options("http://127.0.0.1:" + server.port());
        o.putArray("transports").add("websocket");
        o.putObject("auth").put("token", "not-a-token");
        try (SocketIoNodeClient c = SocketIoNodeClient.start(o)) {
            assertEquals("unauthorized", c.next("connect_error").get("message").asText());
            List<JsonNode> after = c.during(Duration.ofSeconds(2));
            assertTrue(after.stream().noneMatch(j -> "connect_error".equals(j.path("on").asText())
                            || "connect".equals(j.path("on").asText()) || "reconnect_attempt".equals(j.path("on").asText())),
                    "the client gives up instead of looping: " + after);
        }
    }
}
