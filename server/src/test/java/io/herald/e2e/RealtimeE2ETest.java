package io.herald.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.herald.testing.TestServer;
import io.herald.testing.WsTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** §5 realtime endpoint over real sockets. */
class RealtimeE2ETest {
    @RegisterExtension
    static final TestServer server = TestServer.perClass();

    static WsTestClient connect(String user, String... subscribe) {
        return RealtimeE2ETestSupport.realtime(server, user, subscribe);
    }

    @Test
    void connectedFrameNamesUserAndTime() {
        try (WsTestClient ws = WsTestClient.connect(server.ws("/api/v1/realtime/ws?token=" + server.userToken("alice")))) {
            JsonNode c = ws.nextJson();
            assertEquals("connected", c.get("type").asText());
            assertEquals("alice", c.get("user_id").asText());
            String ts = c.get("timestamp").asText();
            assertTrue(ts.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"), ts);
            assertTrue(Math.abs(Instant.parse(ts).toEpochMilli() - System.currentTimeMillis()) < 60_000);
        }
    }

    @Test
    void theFiveFileAndFolderEventsArriveWithDataUnchanged() {
        try (WsTestClient ws = connect("alice", "s1")) {
            String[][] events = {
                    {"file_created", "{\"id\": \"f1\",  \"name\":\"a.txt\", \"size\": 1.50e3}"},
                    {"file_updated", "{\"id\":\"f1\",\"name\":\"b\\u00e9.txt\"}"},
                    {"file_deleted", "{\"file_id\":\"f1\"}"},
                    {"folder_created", "{\"id\":\"d1\",\"path\":[\"a\",\"b\"]}"},
                    {"folder_deleted", "{\"folder_id\":\"d1\"}"}};
            for (String[] e : events) {
                server.publish("{\"topic\":\"share:s1\",\"event_type\":\"" + e[0] + "\",\"data\":" + e[1] + "}");
            }
            for (String[] e : events) {
                assertEquals("{\"type\":\"" + e[0] + "\",\"share_id\":\"s1\",\"data\":" + e[1] + "}", ws.next());
            }
        }
    }

    @Test
    void subscribingToAShareNotInTheTokenIsForbidden() {
        try (WsTestClient ws = connect("alice", "s1")) {
            ws.send("{\"action\":\"subscribe\",\"share_id\":\"s2\"}");
            JsonNode err = ws.nextJson();
            assertEquals("error", err.get("type").asText());
            assertEquals("forbidden", err.get("code").asText());
            assertEquals("s2", err.get("share_id").asText());
            assertTrue(err.hasNonNull("message"));
            server.publish("{\"topic\":\"share:s2\",\"event_type\":\"file_created\",\"data\":{\"secret\":1}}");
            server.publish("{\"topic\":\"share:s1\",\"event_type\":\"file_created\",\"data\":{\"id\":\"sentinel\"}}");
            assertEquals("sentinel", ws.nextJson().get("data").get("id").asText(), "s2's event never arrives");
        }
    }

    @Test
    void unsubscribeStopsDelivery() {
        try (WsTestClient ws = connect("alice", "s1", "s2")) {
            ws.send("{\"action\":\"unsubscribe\",\"share_id\":\"s1\"}");
            assertEquals("{\"type\":\"unsubscribed\",\"share_id\":\"s1\"}", ws.next());
            server.publish("{\"topic\":\"share:s1\",\"event_type\":\"file_created\",\"data\":1}");
            server.publish("{\"topic\":\"share:s2\",\"event_type\":\"file_created\",\"data\":2}");
            assertEquals("{\"type\":\"file_created\",\"share_id\":\"s2\",\"data\":2}", ws.next());
        }
    }

    @Test
    void pingAnswersPong() {
        try (WsTestClient ws = connect("alice")) {
            ws.send("{\"action\":\"ping\"}");
            assertEquals("{\"type\":\"pong\"}", ws.next());
        }
    }

    @Test
    void badCommandsGetInvalidRequestAndTheConnectionStays() {
        try (WsTestClient ws = connect("alice", "s1")) {
            for (String bad : new String[] {"not json", "[1,2]", "{\"action\":\"dance\"}", "{\"share_id\":\"s1\"}",
                    "{\"action\":\"subscribe\"}", "{\"action\":\"subscribe\",\"share_id\":7}", "{\"action\":", "\"x\""}) {
                ws.send(bad);
                JsonNode err = ws.nextJson();
                assertEquals("error", err.get("type").asText(), bad);
                assertEquals("invalid_request", err.get("code").asText(), bad);
            }
            ws.send("{\"action\":\"ping\"}");
            assertEquals("{\"type\":\"pong\"}", ws.next());
            assertFalse(ws.isClosed());
        }
    }

    @Test
    void userAndBroadcastEventsReachTheirUsersOnly() {
        try (WsTestClient alice = connect("alice"); WsTestClient bob = connect("bob")) {
            server.publish("{\"topic\":\"user:alice\",\"event_type\":\"quota_updated\",\"data\":{\"used\":5}}");
            server.publish("{\"topic\":\"broadcast\",\"event_type\":\"maintenance\",\"data\":\"soon\"}");
            assertEquals("{\"type\":\"quota_updated\",\"data\":{\"used\":5}}", alice.next());
            assertEquals("{\"type\":\"maintenance\",\"data\":\"soon\"}", alice.next());
            assertEquals("{\"type\":\"maintenance\",\"data\":\"soon\"}", bob.next(), "bob never gets alice's event");
        }
    }

    @Test
    void syncNudgesAreNotSentOnRealtime() {
        try (WsTestClient ws = connect("alice", "s1")) {
            server.publish("{\"topic\":\"share:s1\",\"event_type\":\"change\",\"data\":{}}");
            server.publish("{\"topic\":\"share:s1\",\"event_type\":\"force_sync\"}");
            server.publish("{\"topic\":\"share:s1\",\"event_type\":\"file_created\"}");
            assertEquals("{\"type\":\"file_created\",\"share_id\":\"s1\"}", ws.next());
        }
    }

    @Test
    void isolationAUserNeverReceivesAShareNotInTheirToken() {
        try (WsTestClient alice = connect("alice", "s1"); WsTestClient bob = connect("bob", "s2")) {
            server.publish("{\"topic\":\"share:s2\",\"event_type\":\"file_created\",\"data\":\"bob-only\"}");
            server.publish("{\"topic\":\"share:s1\",\"event_type\":\"file_created\",\"data\":\"alice-only\"}");
            assertEquals("\"alice-only\"", alice.nextJson().get("data").toString());
            assertEquals("\"bob-only\"", bob.nextJson().get("data").toString());
        }
    }
}
