package io.herald.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.herald.auth.TokenIssuer;
import io.herald.config.ConfigKey;
import io.herald.testing.TestServer;
import io.herald.testing.WsTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** §6 channels endpoint over real sockets, with §2 channel grants and §8 expiry, limits and back-pressure. */
class ChannelsE2ETest {
    @RegisterExtension
    static final TestServer server = TestServer.perClass(b -> b.set(ConfigKey.JWT_LEEWAY, "0s"));
    static final TokenIssuer issuer = new TokenIssuer(TestServer.SECRET);

    static String token(String sub, Duration ttl, String... channels) {
        return issuer.issue(sub, List.of(), List.of(), List.of(channels), List.of(), ttl);
    }

    static WsTestClient open(String token) {
        WsTestClient ws = WsTestClient.connect(server.ws("/ws?token=" + token));
        JsonNode hello = ws.nextJson();
        assertEquals("connected", hello.get("type").asText(), hello.toString());
        return ws;
    }

    static void publish(String channel, String type, String data) {
        server.publish("{\"topic\":\"channel:" + channel + "\",\"event_type\":\"" + type + "\",\"data\":" + data + "}");
    }

    @Test
    void exactAndPrefixGrantsReceiveTheirEventsWithIdsEchoed() {
        String t = token("carol", Duration.ofHours(1), "conversation:conv-123", "team:blue:*");
        try (WsTestClient ws = WsTestClient.connect(server.ws("/ws?token=" + t))) {
            JsonNode hello = ws.nextJson();
            assertEquals("carol", hello.at("/data/user_id").asText());
            assertTrue(hello.at("/data/expires_at").asText().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"));

            ws.send("{\"type\":\"subscribe\",\"id\":1,\"data\":{\"channel\":\"conversation:conv-123\"}}");
            assertEquals("{\"type\":\"subscribed\",\"id\":1,\"data\":{\"channel\":\"conversation:conv-123\"}}", ws.next());
            ws.send("{\"type\":\"subscribe\",\"id\":\"a-2\",\"data\":{\"channel\":\"team:blue:general\"}}");
            assertEquals("{\"type\":\"subscribed\",\"id\":\"a-2\",\"data\":{\"channel\":\"team:blue:general\"}}", ws.next());

            publish("conversation:conv-123", "chat_message", "{\"text\":\"hi\"}");
            publish("team:blue:general", "notification", "{\"n\":1}");
            publish("team:blue:general", "status_update", "{\"state\":\"done\"}");
            JsonNode chat = ws.nextJson();
            assertEquals("chat_message", chat.get("type").asText());
            assertEquals("conversation:conv-123", chat.get("channel").asText());
            assertEquals("hi", chat.at("/data/text").asText());
            assertTrue(chat.hasNonNull("timestamp"));
            JsonNode note = ws.nextJson();
            assertEquals("notification", note.get("type").asText());
            assertEquals("team:blue:general", note.get("channel").asText());
            assertEquals("status_update", ws.nextJson().get("type").asText());

            ws.send("{\"type\":\"ping\",\"id\":9}");
            assertEquals("{\"type\":\"pong\",\"id\":9,\"data\":{}}", ws.next());
            ws.send("{\"type\":\"unsubscribe\",\"id\":10,\"data\":{\"channel\":\"team:blue:general\"}}");
            assertEquals("{\"type\":\"unsubscribed\",\"id\":10,\"data\":{\"channel\":\"team:blue:general\"}}", ws.next());
            publish("team:blue:general", "notification", "{\"n\":2}");
            publish("conversation:conv-123", "chat_message", "{\"text\":\"still here\"}");
            assertEquals("still here", ws.nextJson().at("/data/text").asText(), "nothing from the channel left");
        }
    }

    @Test
    void anInvalidTokenCompletesTheHandshakeThenCloses4401() {
        String foreign = new TokenIssuer("another-secret-another-secret-another-secret-42")
                .issue("carol", List.of(), List.of(), List.of("*"), List.of(), Duration.ofHours(1));
        try (WsTestClient ws = WsTestClient.connect(server.ws("/ws?token=" + foreign))) {
            assertEquals(4401, ws.awaitClose().code());
        }
        try (WsTestClient ws = WsTestClient.connect(server.ws("/ws"))) {
            assertEquals(4401, ws.awaitClose().code(), "no token at all");
        }
    }

    @Test
    void forbiddenChannelsAndPrefixesThatWouldOverMatchAreRefused() throws Exception {
        try (WsTestClient ws = open(token("dan", Duration.ofHours(1), "conversation:conv-123", "team:blue:*"))) {
            for (String channel : new String[] {"team:bluegreen", "team:red:x", "team:blue", "conversation:conv-1234",
                    "conversation:conv-12", "other"}) {
                ws.send("{\"type\":\"subscribe\",\"id\":\"x\",\"data\":{\"channel\":\"" + channel + "\"}}");
                JsonNode e = ws.nextJson();
                assertEquals("error", e.get("type").asText(), channel);
                assertEquals("x", e.get("id").asText());
                assertEquals("unauthorized", e.at("/data/code").asText(), channel);
                publish(channel, "notification", "{\"leak\":true}");
            }
            assertNull(ws.poll(Duration.ofMillis(200)), "no event of a refused channel");
        }
    }

    @Test
    void everyMalformedCommandGetsInvalidRequestAndTheConnectionStaysUsable() {
        try (WsTestClient ws = open(token("erin", Duration.ofHours(1), "*"))) {
            String[][] cases = {
                {"not json", null},
                {"[1,2]", null},
                {"{\"id\":3}", "3"},
                {"{\"type\":\"dance\",\"id\":4}", "4"},
                {"{\"type\":\"subscribe\",\"id\":5}", "5"},
                {"{\"type\":\"subscribe\",\"id\":6,\"data\":{\"channel\":7}}", "6"},
                {"{\"type\":\"unsubscribe\",\"id\":\"u\",\"data\":{}}", "\"u\""},
                {"{\"type\":\"refresh\",\"id\":8,\"data\":{}}", "8"},
                {"{\"type\":\"ping\"} trailing", null},
            };
            for (String[] c : cases) {
                ws.send(c[0]);
                JsonNode e = ws.nextJson();
                assertEquals("error", e.get("type").asText(), c[0]);
                assertEquals("invalid_request", e.at("/data/code").asText(), c[0]);
                assertTrue(e.at("/data/message").asText().length() > 0);
                if (c[1] == null) {
                    assertFalse(e.has("id"), c[0]);
                } else {
                    assertEquals(c[1], e.get("id").toString(), "the id comes back as sent: " + c[0]);
                }
            }
            ws.send("{\"type\":\"subscribe\",\"id\":11,\"data\":{\"channel\":\"bad name!\"}}");
            JsonNode bad = ws.nextJson();
            assertEquals("subscription_failed", bad.at("/data/code").asText());
            ws.send("{\"type\":\"subscribe\",\"id\":12,\"data\":{\"channel\":\"ok\"}}");
            assertEquals("{\"type\":\"subscribed\",\"id\":12,\"data\":{\"channel\":\"ok\"}}", ws.next());
            assertFalse(ws.isClosed());
        }
    }

    @Test
    void theConnectionClosesAtExpiryUnlessRefreshedFirst() throws Exception {
        try (WsTestClient expiring = open(token("fay", Duration.ofSeconds(2), "news"));
             WsTestClient refreshed = open(token("fay", Duration.ofSeconds(2), "news"))) {
            refreshed.send("{\"type\":\"subscribe\",\"id\":1,\"data\":{\"channel\":\"news\"}}");
            assertEquals("subscribed", refreshed.nextJson().get("type").asText());
            refreshed.send("{\"type\":\"refresh\",\"id\":2,\"data\":{\"token\":\"" + token("fay", Duration.ofHours(1), "news") + "\"}}");
            JsonNode r = refreshed.nextJson();
            assertEquals("refreshed", r.get("type").asText(), r.toString());
            assertEquals(2, r.get("id").asInt());
            assertTrue(r.at("/data/expires_at").asText().endsWith("Z"));
            long until = System.nanoTime() + Duration.ofSeconds(4).toNanos();
            while (System.nanoTime() < until && !expiring.isClosed()) {
                expiring.trySend("{\"type\":\"ping\"}"); // may close between the check and the send
                refreshed.send("{\"type\":\"ping\"}");
                Thread.sleep(250);
            }
            assertEquals(new WsTestClient.Closed(4401, "token expired"), expiring.awaitClose());
            assertFalse(refreshed.isClosed(), "refreshed before exp: still open past it");
            refreshed.drain();
            publish("news", "notification", "{\"after\":\"exp\"}");
            assertEquals("exp", refreshed.nextJson().at("/data/after").asText());
        }
    }

    @Test
    void aRefreshWithAnotherUsersTokenIsRefusedAndCloses4401() {
        try (WsTestClient ws = open(token("gus", Duration.ofHours(1), "news"))) {
            ws.send("{\"type\":\"refresh\",\"id\":1,\"data\":{\"token\":\"not-a-token\"}}");
            JsonNode invalid = ws.nextJson();
            assertEquals("unauthorized", invalid.at("/data/code").asText(), "an invalid token is refused");
            assertFalse(ws.isClosed(), "and the current token stays in force");
            ws.send("{\"type\":\"refresh\",\"id\":2,\"data\":{\"token\":\"" + token("mallory", Duration.ofHours(1), "*") + "\"}}");
            JsonNode e = ws.nextJson();
            assertEquals("error", e.get("type").asText());
            assertEquals(2, e.get("id").asInt());
            assertEquals("unauthorized", e.at("/data/code").asText());
            assertEquals(4401, ws.awaitClose().code());
        }
    }

    @Test
    void narrowedPermissionsEndTheSubscriptionsTheyNoLongerGrant() {
        try (WsTestClient ws = open(token("hal", Duration.ofHours(1), "team:*"))) {
            for (String c : new String[] {"team:a", "team:b"}) {
                ws.send("{\"type\":\"subscribe\",\"data\":{\"channel\":\"" + c + "\"}}");
                assertEquals("subscribed", ws.nextJson().get("type").asText());
            }
            ws.send("{\"type\":\"refresh\",\"id\":\"r\",\"data\":{\"token\":\"" + token("hal", Duration.ofHours(1), "team:a") + "\"}}");
            assertEquals("refreshed", ws.nextJson().get("type").asText());
            assertEquals("{\"type\":\"unsubscribed\",\"data\":{\"channel\":\"team:b\"}}", ws.next());
            publish("team:b", "notification", "{\"n\":\"b\"}");
            publish("team:a", "notification", "{\"n\":\"a\"}");
            assertEquals("a", ws.nextJson().at("/data/n").asText(), "team:b ended, team:a goes on");
            ws.send("{\"type\":\"subscribe\",\"id\":3,\"data\":{\"channel\":\"team:b\"}}");
            assertEquals("unauthorized", ws.nextJson().at("/data/code").asText(), "the new grants are in force");
        }
    }

    @Test
    void aFloodOfCommandsGetsRateLimited() {
        try (WsTestClient ws = open(token("ida", Duration.ofHours(1), "*"))) {
            List<String> flood = new ArrayList<>();
            for (int i = 0; i < 150; i++) {
                flood.add("{\"type\":\"ping\",\"id\":" + i + "}");
            }
            ws.sendAll(flood);
            int pongs = 0;
            int limited = 0;
            for (int i = 0; i < 150; i++) {
                JsonNode f = ws.nextJson();
                if ("pong".equals(f.get("type").asText())) {
                    pongs++;
                } else {
                    assertEquals("rate_limited", f.at("/data/code").asText(), f.toString());
                    limited++;
                }
            }
            assertTrue(pongs >= 100 && limited > 0, pongs + " pongs, " + limited + " rate_limited");
            assertFalse(ws.isClosed());
        }
    }

    @Test
    void aStalledClientGetsForceSyncWithTheChannelThen4408() {
        String padding = "x".repeat(2000);
        try (WsTestClient slow = open(token("jon", Duration.ofHours(1), "feed"))) {
            slow.send("{\"type\":\"subscribe\",\"data\":{\"channel\":\"feed\"}}");
            assertEquals("subscribed", slow.nextJson().get("type").asText());
            slow.pauseReading();
            for (int b = 0; b < 20; b++) {
                StringBuilder batch = new StringBuilder("{\"events\":[");
                for (int i = 0; i < 500; i++) {
                    batch.append(i == 0 ? "" : ",").append("{\"topic\":\"channel:feed\",\"event_type\":\"status_update\",")
                            .append("\"data\":{\"seq\":").append(b * 500 + i).append(",\"pad\":\"").append(padding).append("\"}}");
                }
                server.publish(batch.append("]}").toString());
            }
            slow.resumeReading();
            JsonNode last;
            do {
                last = WsTestClient.json(slow.next(Duration.ofSeconds(20)));
            } while ("status_update".equals(last.get("type").asText()));
            assertEquals("{\"type\":\"force_sync\",\"channel\":\"feed\"}", last.toString());
            assertEquals(4408, slow.awaitClose().code());
        }
    }
}
