package io.herald.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.herald.testing.TestServer;
import io.herald.testing.WsTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** §3 HTTP ingress: every answer it lists, and batch order. */
class PublishApiE2ETest {
    @RegisterExtension
    static final TestServer server = TestServer.perClass();

    private static final String ONE = "{\"topic\":\"share:s1\",\"event_type\":\"file_created\",\"data\":{}}";

    static JsonNode error(HttpResponse<String> r) {
        return WsTestClient.json(r.body()).get("error");
    }

    @Test
    void singleEnvelopeIsAccepted() {
        HttpResponse<String> r = server.post("/api/v1/publish", server.publisherToken(), ONE);
        assertEquals(202, r.statusCode());
        assertEquals(1, WsTestClient.json(r.body()).get("accepted").asInt());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("application/json"));
    }

    @Test
    void adminMayPublishToo() {
        assertEquals(202, server.post("/api/v1/publish", server.adminToken(), ONE).statusCode());
    }

    @Test
    void noOrInvalidTokenIs401() {
        HttpResponse<String> none = server.post("/api/v1/publish", null, ONE);
        assertEquals(401, none.statusCode());
        assertEquals("unauthorized", error(none).get("code").asText());
        assertEquals(401, server.post("/api/v1/publish", "garbage", ONE).statusCode());
    }

    @Test
    void tokenWithoutPublisherRoleIs403() {
        HttpResponse<String> r = server.post("/api/v1/publish", server.userToken("alice", "s1"), ONE);
        assertEquals(403, r.statusCode());
        assertEquals("forbidden", error(r).get("code").asText());
    }

    @Test
    void otherMethodsAre405() {
        HttpResponse<String> r = server.get("/api/v1/publish", server.publisherToken());
        assertEquals(405, r.statusCode());
        assertEquals("POST", r.headers().firstValue("allow").orElse(""));
    }

    @Test
    void invalidEnvelopesAre400NamingTheFirstBadEvent() {
        String pub = server.publisherToken();
        for (String bad : new String[] {"nope", "[]", "{}", "{\"topic\":\"share:s1\"}",
                "{\"topic\":\"shares:s1\",\"event_type\":\"x\"}", "{\"topic\":\"share:\",\"event_type\":\"x\"}",
                "{\"topic\":\"share:a b\",\"event_type\":\"x\"}", "{\"topic\":\"share:s1\",\"event_type\":5}"}) {
            HttpResponse<String> r = server.post("/api/v1/publish", pub, bad);
            assertEquals(400, r.statusCode(), bad);
            assertEquals("invalid_request", error(r).get("code").asText(), bad);
        }
        HttpResponse<String> r = server.post("/api/v1/publish", pub,
                "{\"events\":[" + ONE + "," + ONE + ",{\"topic\":\"share:s1\"}," + ONE + "]}");
        assertEquals(400, r.statusCode());
        assertTrue(error(r).get("message").asText().contains("events[2]"), r.body());
    }

    @Test
    void aBatchIsValidatedWholeBeforeAnyOfItIsPublished() {
        try (WsTestClient ws = RealtimeE2ETestSupport.realtime(server, "alice", "s1")) {
            String good = "{\"topic\":\"share:s1\",\"event_type\":\"file_created\",\"data\":\"must-not-arrive\"}";
            HttpResponse<String> r = server.post("/api/v1/publish", server.publisherToken(),
                    "{\"events\":[" + good + ",{\"topic\":\"share:s1\"}]}");
            assertEquals(400, r.statusCode());
            server.publish("{\"topic\":\"share:s1\",\"event_type\":\"file_created\",\"data\":\"sentinel\"}");
            assertEquals("\"sentinel\"", ws.nextJson().get("data").toString());
        }
    }

    @Test
    void tooLargeIs413() {
        String pub = server.publisherToken();
        String huge = "{\"topic\":\"share:s1\",\"event_type\":\"x\",\"data\":\"" + "a".repeat(1024 * 1024) + "\"}";
        assertEquals(413, server.post("/api/v1/publish", pub, huge).statusCode(), "envelope over 1 MiB");
        StringBuilder many = new StringBuilder("{\"events\":[");
        for (int i = 0; i < 1001; i++) {
            many.append(i == 0 ? "" : ",").append(ONE);
        }
        assertEquals(413, server.post("/api/v1/publish", pub, many.append("]}").toString()).statusCode(), "1001 events");
        HttpRequest body5m = HttpRequest.newBuilder(URI.create(server.http("/api/v1/publish")))
                .timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + pub)
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[5 * 1024 * 1024])).build();
        HttpResponse<String> r = TestServer.send(body5m);
        assertEquals(413, r.statusCode(), "body over 4 MiB");
        assertEquals("too_large", error(r).get("code").asText(), "the §3 error body, refused before buffering");
        // §9: other routes take 16 KiB (a GET here: /healthz serves no POST, which would be a 405 first)
        HttpRequest bodyOnHealth = HttpRequest.newBuilder(URI.create(server.http("/healthz")))
                .timeout(Duration.ofSeconds(10))
                .method("GET", HttpRequest.BodyPublishers.ofByteArray(new byte[64 * 1024])).build();
        assertEquals(413, TestServer.send(bodyOnHealth).statusCode(), "other paths take small bodies only");
    }

    @Test
    void dataThatIsNotUtf8IsRefusedSoNoSubscriberGetsAnInvalidFrame() {
        String pub = server.publisherToken();
        byte[] overlong = "{\"topic\":\"broadcast\",\"event_type\":\"x\",\"data\":\"\u0000\"}"
                .replace("\u0000", "@@").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        int at = new String(overlong, java.nio.charset.StandardCharsets.UTF_8).indexOf("@@");
        overlong[at] = (byte) 0xC0; // overlong encoding of NUL: never valid UTF-8
        overlong[at + 1] = (byte) 0x80;
        HttpRequest r = HttpRequest.newBuilder(URI.create(server.http("/api/v1/publish")))
                .timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + pub)
                .POST(HttpRequest.BodyPublishers.ofByteArray(overlong)).build();
        HttpResponse<String> answer = TestServer.send(r);
        assertEquals(400, answer.statusCode());
        assertTrue(error(answer).get("message").asText().contains("UTF-8"), answer.body());
        byte[] utf16 = ONE.getBytes(java.nio.charset.StandardCharsets.UTF_16LE);
        HttpRequest r16 = HttpRequest.newBuilder(URI.create(server.http("/api/v1/publish")))
                .timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + pub)
                .POST(HttpRequest.BodyPublishers.ofByteArray(utf16)).build();
        assertEquals(400, TestServer.send(r16).statusCode(), "UTF-16 is refused, not a 500");
    }

    /**
     * §9: JSON that breaks a parser limit (nesting, number length, name length) is 400 invalid_request, never a
     * 500; the server stays healthy for the next publish.
     */
    @Test
    void jsonPastAParserLimitIs400InvalidRequest() {
        String pub = server.publisherToken();
        String head = "{\"topic\":\"share:s1\",\"event_type\":\"x\",\"data\":";
        for (String bad : new String[] {
                head + "[".repeat(69) + "]".repeat(69) + "}",             // nesting depth 70
                head + "1".repeat(1200) + "}",                            // a 1,200-digit number
                head + "{\"" + "n".repeat(60_000) + "\":1}}",             // a 60,000-character name in data
                "{\"" + "n".repeat(60_000) + "\":1," + ONE.substring(1),  // ... and as an unknown field
                "{\"events\":[" + ONE + "," + head + "[".repeat(69) + "]".repeat(69) + "}]}"}) {
            HttpResponse<String> r = server.post("/api/v1/publish", pub, bad);
            String what = bad.substring(0, Math.min(80, bad.length()));
            assertEquals(400, r.statusCode(), what);
            assertEquals("invalid_request", error(r).get("code").asText(), what);
            assertTrue(error(r).get("message").asText().contains("parser limit"), r.body());
        }
        assertEquals(202, server.post("/api/v1/publish", pub, ONE).statusCode());
    }

    @Test
    void aBatchArrivesInOrder() {
        try (WsTestClient ws = RealtimeE2ETestSupport.realtime(server, "alice", "s1")) {
            StringBuilder batch = new StringBuilder("{\"events\":[");
            for (int i = 0; i < 1000; i++) {
                batch.append(i == 0 ? "" : ",")
                        .append("{\"topic\":\"share:s1\",\"event_type\":\"file_updated\",\"data\":").append(i).append('}');
            }
            HttpResponse<String> r = server.post("/api/v1/publish", server.publisherToken(), batch.append("]}").toString());
            assertEquals(202, r.statusCode());
            assertEquals(1000, WsTestClient.json(r.body()).get("accepted").asInt());
            for (int i = 0; i < 1000; i++) {
                assertEquals(i, ws.nextJson().get("data").asInt());
            }
            assertEquals(List.of(), ws.drain());
        }
    }
}
