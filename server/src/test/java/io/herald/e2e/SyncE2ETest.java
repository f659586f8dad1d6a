package io.herald.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.herald.testing.TestServer;
import io.herald.testing.WsTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** §4 sync endpoint over real sockets. */
class SyncE2ETest {
    @RegisterExtension
    static final TestServer server = TestServer.perClass();

    static WsTestClient open(String device, List<String> shares) {
        String token = server.token("alice", shares, List.of(device), List.of());
        return WsTestClient.connect(server.ws("/api/v1/sync/ws/" + device + "?token=" + token));
    }

    static WsTestClient subscribed(String device, List<String> shares) {
        WsTestClient ws = open(device, shares);
        ws.send("{\"type\":\"subscribe\"}");
        JsonNode s = ws.nextJson();
        assertEquals("subscribed", s.get("type").asText());
        return ws;
    }

    @Test
    void subscribeListsTheTokensSharesAndRepeatingIsHarmless() {
        try (WsTestClient ws = open("d1", List.of("s1", "s2"))) {
            ws.send("{\"type\":\"subscribe\"}");
            assertEquals("{\"type\":\"subscribed\",\"shares\":[\"s1\",\"s2\"]}", ws.next());
            ws.send("{\"type\":\"subscribe\"}");
            assertEquals("{\"type\":\"subscribed\",\"shares\":[\"s1\",\"s2\"]}", ws.next());
            server.publish("{\"topic\":\"share:s1\",\"event_type\":\"change\",\"data\":{\"n\":1}}");
            server.publish("{\"topic\":\"share:s1\",\"event_type\":\"change\",\"data\":{\"n\":2}}");
            assertEquals("{\"event_type\":\"change\",\"share_id\":\"s1\",\"data\":{\"n\":1}}", ws.next());
            assertEquals("{\"event_type\":\"change\",\"share_id\":\"s1\",\"data\":{\"n\":2}}", ws.next(),
                    "one subscription, one delivery: no duplicate of n=1 in between");
        }
    }

    @Test
    void nothingIsDeliveredBeforeSubscribe() {
        try (WsTestClient ws = open("d1", List.of("s1"))) {
            server.publish("{\"topic\":\"share:s1\",\"event_type\":\"change\",\"data\":{\"n\":\"early\"}}");
            server.publish("{\"topic\":\"device:d1\",\"event_type\":\"force_sync\",\"share_id\":\"s1\"}");
            ws.send("{\"type\":\"subscribe\"}");
            assertEquals("subscribed", ws.nextJson().get("type").asText());
            server.publish("{\"topic\":\"share:s1\",\"event_type\":\"change\",\"data\":{\"n\":\"late\"}}");
            assertEquals("{\"event_type\":\"change\",\"share_id\":\"s1\",\"data\":{\"n\":\"late\"}}", ws.next());
        }
    }

    @Test
    void changeSyncPreferenceAndForceSyncFrames() {
        try (WsTestClient ws = subscribed("d1", List.of("s1"))) {
            server.publish("{\"topic\":\"share:s1\",\"event_type\":\"change\",\"data\":{\"files\":[\"a\", \"b\"]}}");
            server.publish("{\"topic\":\"device:d1\",\"event_type\":\"sync_preference_updated\",\"share_id\":\"s1\"}");
            server.publish("{\"topic\":\"share:s1\",\"event_type\":\"force_sync\"}");
            server.publish("{\"topic\":\"device:d1\",\"event_type\":\"force_sync\",\"share_id\":\"s1\"}");
            assertEquals("{\"event_type\":\"change\",\"share_id\":\"s1\",\"data\":{\"files\":[\"a\", \"b\"]}}", ws.next());
            assertEquals("{\"event_type\":\"sync_preference_updated\",\"share_id\":\"s1\",\"device_id\":\"d1\"}", ws.next());
            assertEquals("{\"event_type\":\"force_sync\",\"share_id\":\"s1\"}", ws.next());
            assertEquals("{\"event_type\":\"force_sync\",\"share_id\":\"s1\"}", ws.next());
        }
    }

    @Test
    void otherEventTypesAndOtherDevicesAreNotSent() {
        try (WsTestClient ws = subscribed("d1", List.of("s1"))) {
            server.publish("{\"topic\":\"share:s1\",\"event_type\":\"file_created\",\"data\":{}}");
            server.publish("{\"topic\":\"device:d2\",\"event_type\":\"force_sync\",\"share_id\":\"s1\"}");
            server.publish("{\"topic\":\"share:s9\",\"event_type\":\"change\"}");
            server.publish("{\"topic\":\"broadcast\",\"event_type\":\"change\"}");
            server.publish("{\"topic\":\"share:s1\",\"event_type\":\"change\"}");
            assertEquals("{\"event_type\":\"change\",\"share_id\":\"s1\"}", ws.next());
        }
    }

    @Test
    void pingPongAndBadInputKeepsTheConnection() {
        try (WsTestClient ws = open("d1", List.of("s1"))) {
            ws.send("{\"type\":\"ping\"}");
            assertEquals("{\"type\":\"pong\"}", ws.next());
            ws.send("{oops");
            assertEquals("invalid_request", ws.nextJson().get("code").asText());
            ws.send("{\"type\":\"dance\"}");
            assertEquals("invalid_request", ws.nextJson().get("code").asText());
            ws.send("{\"type\":\"ping\"}");
            assertEquals("{\"type\":\"pong\"}", ws.next());
        }
    }
}
