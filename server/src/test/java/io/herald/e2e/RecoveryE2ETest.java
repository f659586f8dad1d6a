package io.herald.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.herald.config.ConfigKey;
import io.herald.testing.TestServer;
import io.herald.testing.WsTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * §11 on the realtime endpoint with the local broker: positions on {@code subscribed} and on share events, a
 * resume with {@code since} that the history covers (the missed events, in order, exactly once, then live ones),
 * and one it does not (a gap past the history, a foreign epoch): {@code recovered: false} and {@code force_sync}.
 */
class RecoveryE2ETest {
    @RegisterExtension
    static final TestServer server = TestServer.perClass(b -> b.set(ConfigKey.HISTORY_SIZE, "5"));

    static WsTestClient connect(String user, String share) {
        WsTestClient ws = WsTestClient.connect(server.ws("/api/v1/realtime/ws?token=" + server.userToken(user, share)));
        assertEquals("connected", ws.nextJson().get("type").asText());
        return ws;
    }

    static void publish(String share, int n) {
        server.publish("{\"topic\":\"share:" + share + "\",\"event_type\":\"file_updated\",\"data\":{\"n\":" + n + "}}");
    }

    static String event(String share, int n, long offset) {
        return "{\"type\":\"file_updated\",\"share_id\":\"" + share + "\",\"data\":{\"n\":" + n + "},\"offset\":" + offset + "}";
    }

    @Test
    void aResumeTheHistoryCoversGetsTheMissedEventsThenLiveOnesExactlyOnce() throws Exception {
        String epoch;
        try (WsTestClient ws = connect("rita", "r1")) {
            ws.send("{\"action\":\"subscribe\",\"share_id\":\"r1\"}");
            JsonNode subscribed = ws.nextJson();
            assertEquals("subscribed", subscribed.get("type").asText());
            assertEquals(0, subscribed.get("offset").asLong());
            assertNull(subscribed.get("recovered"), "no since, no recovered");
            epoch = subscribed.get("epoch").asText();
            publish("r1", 1);
            publish("r1", 2);
            assertEquals(event("r1", 1, 1), ws.next());
            assertEquals(event("r1", 2, 2), ws.next());
        }
        publish("r1", 3); // while the client is away
        publish("r1", 4);
        try (WsTestClient ws = connect("rita", "r1")) {
            ws.send("{\"action\":\"subscribe\",\"share_id\":\"r1\",\"since\":{\"epoch\":\"" + epoch + "\",\"offset\":2}}");
            assertEquals("{\"type\":\"subscribed\",\"share_id\":\"r1\",\"epoch\":\"" + epoch
                    + "\",\"offset\":2,\"recovered\":true}", ws.next());
            assertEquals(event("r1", 3, 3), ws.next());
            assertEquals(event("r1", 4, 4), ws.next());
            publish("r1", 5);
            assertEquals(event("r1", 5, 5), ws.next(), "then live, at the next offset");
            assertNull(ws.poll(Duration.ofMillis(200)), "nothing twice");
        }
    }

    @Test
    void aGapPastTheHistoryIsNotRecoveredAndForcesASync() throws Exception {
        String epoch;
        try (WsTestClient ws = connect("sam", "g1")) {
            ws.send("{\"action\":\"subscribe\",\"share_id\":\"g1\"}");
            epoch = ws.nextJson().get("epoch").asText();
            publish("g1", 1);
            assertEquals(event("g1", 1, 1), ws.next());
        }
        for (int n = 2; n <= 9; n++) {
            publish("g1", n); // 5 kept: 5..9; 2..4 are gone
        }
        try (WsTestClient ws = connect("sam", "g1")) {
            ws.send("{\"action\":\"subscribe\",\"share_id\":\"g1\",\"since\":{\"epoch\":\"" + epoch + "\",\"offset\":1}}");
            assertEquals("{\"type\":\"subscribed\",\"share_id\":\"g1\",\"epoch\":\"" + epoch
                    + "\",\"offset\":9,\"recovered\":false}", ws.next(), "the current position");
            assertEquals("{\"type\":\"force_sync\",\"share_id\":\"g1\",\"epoch\":\"" + epoch + "\",\"offset\":9}", ws.next());
            publish("g1", 10);
            assertEquals(event("g1", 10, 10), ws.next(), "delivery goes on from the position force_sync named");
        }
    }

    @Test
    void aForeignEpochIsNotRecovered() {
        try (WsTestClient ws = connect("tom", "f1")) {
            publish("f1", 1);
            ws.send("{\"action\":\"subscribe\",\"share_id\":\"f1\",\"since\":{\"epoch\":\"not-this-one\",\"offset\":1}}");
            JsonNode subscribed = ws.nextJson();
            assertFalse(subscribed.get("recovered").asBoolean());
            assertEquals(1, subscribed.get("offset").asLong());
            assertEquals("force_sync", ws.nextJson().get("type").asText());
        }
    }

    @Test
    void aSinceThatIsNotAPositionIsAnInvalidRequest() {
        try (WsTestClient ws = connect("una", "m1")) {
            ws.send("{\"action\":\"subscribe\",\"share_id\":\"m1\",\"since\":{\"epoch\":\"e\"}}");
            JsonNode error = ws.nextJson();
            assertEquals("error", error.get("type").asText());
            assertEquals("invalid_request", error.get("code").asText());
            ws.send("{\"action\":\"subscribe\",\"share_id\":\"m1\",\"since\":{\"epoch\":\"e\",\"offset\":-1}}");
            assertEquals("invalid_request", ws.nextJson().get("code").asText());
        }
    }

    @Test
    void aChannelResumesWithSinceInData() {
        String token = new io.herald.auth.TokenIssuer(TestServer.SECRET).issue("vic", java.util.List.of(),
                java.util.List.of(), java.util.List.of("room:*"), java.util.List.of(), Duration.ofHours(1));
        String epoch;
        try (WsTestClient ws = WsTestClient.connect(server.ws("/ws?token=" + token))) {
            assertEquals("connected", ws.nextJson().get("type").asText());
            ws.send("{\"type\":\"subscribe\",\"id\":1,\"data\":{\"channel\":\"room:a\"}}");
            JsonNode subscribed = ws.nextJson();
            assertEquals("subscribed", subscribed.get("type").asText());
            assertEquals(0, subscribed.get("data").get("offset").asLong());
            epoch = subscribed.get("data").get("epoch").asText();
            server.publish("{\"topic\":\"channel:room:a\",\"event_type\":\"msg\",\"data\":{\"n\":1}}");
            assertEquals(1, ws.nextJson().get("offset").asLong());
        }
        server.publish("{\"topic\":\"channel:room:a\",\"event_type\":\"msg\",\"data\":{\"n\":2}}");
        try (WsTestClient ws = WsTestClient.connect(server.ws("/ws?token=" + token))) {
            ws.nextJson();
            ws.send("{\"type\":\"subscribe\",\"id\":2,\"data\":{\"channel\":\"room:a\",\"since\":{\"epoch\":\""
                    + epoch + "\",\"offset\":1}}}");
            assertEquals("{\"type\":\"subscribed\",\"id\":2,\"data\":{\"channel\":\"room:a\",\"epoch\":\"" + epoch
                    + "\",\"offset\":1,\"recovered\":true}}", ws.next());
            JsonNode missed = ws.nextJson();
            assertEquals(2, missed.get("data").get("n").asInt());
            assertEquals(2, missed.get("offset").asLong());
            ws.send("{\"type\":\"subscribe\",\"data\":{\"channel\":\"room:b\",\"since\":{\"epoch\":\"gone\",\"offset\":3}}}");
            JsonNode notRecovered = ws.nextJson();
            assertFalse(notRecovered.get("data").get("recovered").asBoolean());
            JsonNode forceSync = ws.nextJson();
            assertEquals("force_sync", forceSync.get("type").asText());
            assertEquals("room:b", forceSync.get("channel").asText());
            assertEquals(notRecovered.get("data").get("epoch").asText(), forceSync.get("epoch").asText());
        }
    }

    /**
     * §11 sync: {@code subscribed} names every share's position; a resume names positions by share, and the answer
     * lists the shares it recovered (their missed {@code change} frames follow, in order), and every other share of
     * {@code since} gets {@code force_sync} at its current position.
     */
    @Test
    void syncResumesTheSharesTheHistoryCoversAndForcesTheOthers() throws Exception {
        String token = server.token("xia", java.util.List.of("y1", "y2", "y3"), java.util.List.of("dx"), java.util.List.of());
        String e1;
        String e2;
        try (WsTestClient ws = WsTestClient.connect(server.ws("/api/v1/sync/ws/dx?token=" + token))) {
            ws.send("{\"type\":\"subscribe\"}");
            JsonNode subscribed = ws.nextJson();
            assertEquals(3, subscribed.get("shares").size());
            assertNull(subscribed.get("recovered"), "no since, no recovered");
            e1 = subscribed.get("positions").get("y1").get("epoch").asText();
            e2 = subscribed.get("positions").get("y2").get("epoch").asText();
            assertEquals(0, subscribed.get("positions").get("y3").get("offset").asLong());
            server.publish("{\"topic\":\"share:y1\",\"event_type\":\"change\",\"data\":{\"n\":1}}");
            assertEquals(1, ws.nextJson().get("offset").asLong());
        }
        server.publish("{\"topic\":\"share:y1\",\"event_type\":\"change\",\"data\":{\"n\":2}}");
        server.publish("{\"topic\":\"share:y1\",\"event_type\":\"change\",\"data\":{\"n\":3}}");
        for (int n = 1; n <= 7; n++) { // past the 5 kept: y2's gap is lost
            server.publish("{\"topic\":\"share:y2\",\"event_type\":\"change\",\"data\":{\"n\":" + n + "}}");
        }
        try (WsTestClient ws = WsTestClient.connect(server.ws("/api/v1/sync/ws/dx?token=" + token))) {
            ws.send("{\"type\":\"subscribe\",\"since\":{\"y1\":{\"epoch\":\"" + e1 + "\",\"offset\":1},"
                    + "\"y2\":{\"epoch\":\"" + e2 + "\",\"offset\":0},\"nope\":{\"epoch\":\"x\",\"offset\":1}}}");
            JsonNode subscribed = ws.nextJson();
            assertEquals("subscribed", subscribed.get("type").asText());
            assertEquals("[\"y1\"]", subscribed.get("recovered").toString());
            assertEquals("{\"epoch\":\"" + e1 + "\",\"offset\":1}", subscribed.get("positions").get("y1").toString(),
                    "a recovered share stands where the client was; its missed frames follow");
            assertEquals("{\"epoch\":\"" + e2 + "\",\"offset\":7}", subscribed.get("positions").get("y2").toString());
            assertNull(subscribed.get("positions").get("nope"), "a share outside the token is not answered");
            assertEquals("{\"event_type\":\"change\",\"share_id\":\"y1\",\"data\":{\"n\":2},\"offset\":2}", ws.next());
            assertEquals("{\"event_type\":\"change\",\"share_id\":\"y1\",\"data\":{\"n\":3},\"offset\":3}", ws.next());
            assertEquals("{\"event_type\":\"force_sync\",\"share_id\":\"y2\",\"epoch\":\"" + e2 + "\",\"offset\":7}",
                    ws.next());
            server.publish("{\"topic\":\"share:y1\",\"event_type\":\"change\",\"data\":{\"n\":4}}");
            assertEquals(4, ws.nextJson().get("offset").asLong(), "then live");
            assertNull(ws.poll(Duration.ofMillis(200)), "nothing twice, no force_sync for y3 (not in since)");
        }
    }

    /** §11: sync change frames carry their share's offset too. */
    @Test
    void syncChangeFramesCarryTheirOffset() {
        String token = server.token("wes", java.util.List.of("c1"), java.util.List.of("dev1"), java.util.List.of());
        try (WsTestClient ws = WsTestClient.connect(server.ws("/api/v1/sync/ws/dev1?token=" + token))) {
            ws.send("{\"type\":\"subscribe\"}");
            assertEquals("subscribed", ws.nextJson().get("type").asText());
            server.publish("{\"topic\":\"share:c1\",\"event_type\":\"change\",\"data\":{\"n\":1}}");
            server.publish("{\"topic\":\"share:c1\",\"event_type\":\"file_created\"}"); // offset 2, not a sync frame
            server.publish("{\"topic\":\"share:c1\",\"event_type\":\"change\",\"data\":{\"n\":3}}");
            assertEquals("{\"event_type\":\"change\",\"share_id\":\"c1\",\"data\":{\"n\":1},\"offset\":1}", ws.next());
            assertEquals("{\"event_type\":\"change\",\"share_id\":\"c1\",\"data\":{\"n\":3},\"offset\":3}", ws.next(),
                    "offsets of events this endpoint does not send are skipped");
        }
    }
}
