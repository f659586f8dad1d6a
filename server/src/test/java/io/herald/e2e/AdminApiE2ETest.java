package io.herald.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.herald.auth.TokenIssuer;
import io.herald.testing.TestServer;
import io.herald.testing.WsTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The admin page's server side (issue 15) against a real Herald: the page's files from the jar, the topic tail stream
 * and its refusals and bounds, and the figures the page plots (transports, latency histogram) in §9 stats.
 */
class AdminApiE2ETest {
    @RegisterExtension
    static final TestServer server = TestServer.perClass(b -> b.set(io.herald.config.ConfigKey.HISTORY_SIZE, "100"));
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    /** A tail stream read line by line on a thread of its own. */
    static final class Tail implements AutoCloseable {
        final HttpResponse<InputStream> response;
        final BlockingQueue<JsonNode> lines = new ArrayBlockingQueue<>(10_000);

        Tail(HttpResponse<InputStream> response) {
            this.response = response;
            Thread t = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        lines.add(WsTestClient.json(line));
                    }
                } catch (Exception ignored) {
                    // closed
                }
            }, "tail-reader");
            t.setDaemon(true);
            t.start();
        }

        JsonNode next() throws InterruptedException {
            JsonNode n;
            do {
                n = lines.poll(10, TimeUnit.SECONDS);
                assertNotNull(n, "a line within 10 s");
            } while (n.get("type").asText().equals("ping"));
            return n;
        }

        @Override
        public void close() throws Exception {
            response.body().close();
        }
    }

    static HttpResponse<InputStream> openTail(String query, String token) throws Exception {
        return openTail(server, query, token);
    }

    static HttpResponse<InputStream> openTail(TestServer on, String query, String token) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(on.http("/api/v1/admin/tail" + query)))
                .timeout(Duration.ofSeconds(10));
        if (token != null) {
            r.header("Authorization", "Bearer " + token);
        }
        HttpResponse<InputStream> res = HTTP.send(r.build(), HttpResponse.BodyHandlers.ofInputStream());
        return res;
    }

    static Tail tail(String topic, String token) throws Exception {
        return tail(server, topic, token);
    }

    static Tail tail(TestServer on, String topic, String token) throws Exception {
        HttpResponse<InputStream> res = openTail(on, "?topic=" + topic, token);
        assertEquals(200, res.statusCode());
        Tail t = new Tail(res);
        JsonNode first = t.next();
        assertEquals("subscribed", first.get("type").asText(), first.toString());
        return t;
    }

    static int status(String query, String token) throws Exception {
        HttpResponse<InputStream> res = openTail(query, token);
        res.body().close();
        return res.statusCode();
    }

    @Test
    void thePageComesFromTheJarWithAStrictPolicy() {
        HttpResponse<String> page = server.get("/admin", null);
        assertEquals(200, page.statusCode());
        assertTrue(page.headers().firstValue("content-type").orElse("").startsWith("text/html"));
        assertTrue(page.body().contains("<script src=\"/admin/admin.js\""), "its own script, no CDN");
        assertFalse(page.body().contains("http://") || page.body().contains("https://"), "nothing from elsewhere");
        String csp = page.headers().firstValue("content-security-policy").orElse("");
        assertTrue(csp.contains("script-src 'self'") && csp.contains("connect-src 'self'")
                && csp.contains("frame-ancestors 'none'"), csp);
        assertEquals("nosniff", page.headers().firstValue("x-content-type-options").orElse(""));
        assertEquals(200, server.get("/admin/", null).statusCode());
        HttpResponse<String> js = server.get("/admin/admin.js", null);
        assertEquals(200, js.statusCode());
        assertTrue(js.headers().firstValue("content-type").orElse("").startsWith("text/javascript"));
        assertTrue(js.body().contains("sessionStorage"), "the token lives in the tab's session storage");
        assertFalse(js.body().contains("localStorage"), "and nowhere that outlives the tab");
        assertEquals(200, server.get("/admin/admin.css", null).statusCode());
        assertEquals(405, server.post("/admin", null, "{}").statusCode());
        assertEquals(404, server.get("/admin/other.js", null).statusCode());
    }

    @Test
    void theTailIsForAdminsWithTheTokenInTheHeaderOnly() throws Exception {
        assertEquals(401, status("?topic=share:s1", null));
        assertEquals(401, status("?topic=share:s1&token=" + server.adminToken(), null), "never a token from the URL");
        assertEquals(401, status("?topic=share:s1", "not-a-jwt"));
        assertEquals(403, status("?topic=share:s1", server.publisherToken()));
        assertEquals(403, status("?topic=share:s1", server.userToken("alice", "s1")));
        assertEquals(400, status("", server.adminToken()));
        assertEquals(400, status("?topic=share:", server.adminToken()));
        assertEquals(400, status("?topic=nonsense", server.adminToken()));
        assertEquals(400, status("?topic=share:s1&topic=share:s2", server.adminToken()));
        assertEquals(0, server.gateway().hub().subscriptionCount(), "no refusal leaves a subscription behind");
    }

    @Test
    void theTailShowsTheLiveEventsOfItsTopic() throws Exception {
        try (Tail t = tail("share:tail1", server.adminToken())) {
            server.publish("{\"topic\":\"share:tail2\",\"event_type\":\"elsewhere\"}");
            server.publish("{\"topic\":\"share:tail1\",\"event_type\":\"file_created\",\"data\":{\"id\":\"f1\"}}");
            JsonNode e = t.next();
            assertEquals("event", e.get("type").asText());
            assertEquals("file_created", e.at("/event/event_type").asText());
            assertEquals("f1", e.at("/event/data/id").asText());
            assertTrue(e.has("offset") && e.has("epoch"), "§11 positions, where the topic has them: " + e);
        }
    }

    @Test
    void aHotTopicCannotFloodTheTail() throws Exception {
        try (Tail t = tail("share:hot", server.adminToken())) {
            StringBuilder batch = new StringBuilder("{\"events\":[");
            for (int i = 0; i < 300; i++) {
                batch.append(i == 0 ? "" : ",").append("{\"topic\":\"share:hot\",\"event_type\":\"e").append(i).append("\"}");
            }
            HttpResponse<String> r = server.post("/api/v1/publish", server.publisherToken(), batch.append("]}").toString());
            assertEquals(202, r.statusCode(), r.body());
            int shown = 0;
            long skipped = 0;
            while (shown + skipped < 300) {
                JsonNode n = t.next();
                if (n.get("type").asText().equals("event")) {
                    shown++;
                } else if (n.get("type").asText().equals("skipped")) {
                    skipped += n.get("count").asLong();
                }
            }
            assertEquals(300, shown + skipped, "every event is shown or counted");
            assertTrue(skipped > 0, "300 events at once are not all sent: " + shown + " shown");
        }
    }

    /**
     * A tail whose reader stops reading while a hot topic goes on for 12 s: Herald writes nothing more once the socket
     * is full and counts the rest, so what waits for that reader stays what the socket holds, however long it stalls;
     * when it reads again, every event is there or counted.
     */
    @Test
    void aTailThatNeverReadsIsNotWrittenToOnlyCounted() throws Exception {
        int events = 0;
        String pad = "x".repeat(7000);
        try (java.net.Socket socket = new java.net.Socket()) {
            socket.setReceiveBufferSize(4096);
            socket.connect(new java.net.InetSocketAddress("127.0.0.1", server.port()), 5000);
            socket.getOutputStream().write(("GET /api/v1/admin/tail?topic=share:stalled HTTP/1.1\r\nHost: x\r\n"
                    + "Authorization: Bearer " + server.adminToken() + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            Thread.sleep(300); // subscribed; from here on this client reads nothing
            for (int batch = 0; batch < 48; batch++) {
                StringBuilder body = new StringBuilder("{\"events\":[");
                for (int i = 0; i < 50; i++, events++) {
                    body.append(i == 0 ? "" : ",").append("{\"topic\":\"share:stalled\",\"event_type\":\"e\",")
                            .append("\"data\":{\"n\":").append(events).append(",\"pad\":\"").append(pad).append("\"}}");
                }
                HttpResponse<String> r = server.post("/api/v1/publish", server.publisherToken(), body.append("]}").toString());
                assertEquals(202, r.statusCode(), r.body());
                Thread.sleep(250);
            }
            // now read it all: whatever was written while the reader stalled, then the catch-up
            socket.setSoTimeout(1500);
            java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
            long shown = 0;
            long skipped = 0;
            byte[] buf = new byte[65536];
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(15);
            while (shown + skipped < events && System.nanoTime() < deadline) {
                int n;
                try {
                    n = socket.getInputStream().read(buf);
                } catch (java.net.SocketTimeoutException e) {
                    continue;
                }
                if (n < 0) {
                    break;
                }
                got.write(buf, 0, n);
                String text = got.toString(StandardCharsets.UTF_8);
                shown = io.herald.testing.RawHttp.occurrences(text, "\"type\":\"event\"");
                skipped = 0;
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"type\":\"skipped\",\"count\":(\\d+)").matcher(text);
                while (m.find()) {
                    skipped += Long.parseLong(m.group(1));
                }
            }
            assertEquals(events, shown + skipped, "every event shown or counted: " + shown + " shown");
            // A reader taking everything gets 25 per 250 ms: 1,200 over these 12 s. A stalled one gets what its socket
            // held when it stopped (the kernel's send buffer grows to 4 MB on loopback: about 400 events of 7 KB here,
            // at most ~600), then nothing: the rest is counted.
            assertTrue(shown < 700, shown + " events were written to a reader that read nothing");
        }
    }

    @Test
    void tailsAreCappedPerInstanceAndFreedWhenTheyEnd() throws Exception {
        List<Tail> open = new ArrayList<>();
        try {
            for (int i = 0; i < 16; i++) {
                open.add(tail("share:cap" + i, server.adminToken()));
            }
            assertEquals(429, status("?topic=share:one-more", server.adminToken()));
            open.remove(0).close();
            int code = 429;
            for (int i = 0; i < 100 && code == 429; i++) {
                Thread.sleep(50);
                code = status("?topic=share:one-more", server.adminToken());
            }
            assertEquals(200, code, "a closed tail gives its place back");
        } finally {
            for (Tail t : open) {
                t.close();
            }
        }
    }

    @Test
    void theTailEndsWhenTheAdminTokenExpires() throws Exception {
        String shortLived = new TokenIssuer(TestServer.SECRET).issue("ops", List.of(), List.of(), List.of(),
                List.of("admin"), Duration.ofSeconds(2));
        try (Tail t = tail("share:expiring", shortLived)) {
            JsonNode end = t.next();
            assertEquals("end", end.get("type").asText());
            assertEquals("time_limit", end.get("reason").asText());
        }
    }

    static JsonNode statsWhen(java.util.function.Predicate<JsonNode> settled) throws InterruptedException {
        return server.statsWhen("", settled);
    }

    @Test
    void anUpgradedSessionCountsOnWebSocket() throws Exception {
        com.fasterxml.jackson.databind.node.ObjectNode o = io.herald.testing.SocketIoNodeClient.options(server.http(""));
        o.putObject("auth").put("token", server.userToken("uma"));
        try (io.herald.testing.SocketIoNodeClient client = io.herald.testing.SocketIoNodeClient.start(o)) {
            // it opens on polling (the default) and upgrades, before or after its CONNECT is answered
            assertEquals("websocket", client.next("upgrade").get("transport").asText());
            assertTrue(client.saw("connect"));
            JsonNode s = statsWhen(n -> n.at("/transports/polling").asInt() == 0 && n.at("/connections/socketio").asInt() == 1);
            assertEquals(0, s.at("/transports/polling").asInt(), "the upgraded session left polling: " + s);
            assertEquals(s.at("/connections/total").asInt(), s.at("/transports/websocket").asInt(), s.toString());
        }
        JsonNode after = statsWhen(n -> n.at("/connections/total").asInt() == 0);
        assertEquals(0, after.at("/transports/websocket").asInt() + after.at("/transports/polling").asInt(), after.toString());
    }

    @Test
    void statsCarryTransportsAndTheLatencyHistogram() throws Exception {
        String token = server.token("alice", List.of("lat"), List.of("dl"), List.of());
        try (WsTestClient a = WsTestClient.connect(server.ws("/api/v1/sync/ws/dl?token=" + token))) {
            a.send("{\"type\":\"subscribe\"}");
            a.next(); // subscribed
            server.publish("{\"topic\":\"share:lat\",\"event_type\":\"change\",\"data\":{\"n\":1}}");
            a.next();
            JsonNode s = WsTestClient.json(server.get("/api/v1/realtime/stats?scope=cluster", server.adminToken()).body());
            assertTrue(s.at("/transports/websocket").asInt() >= 1, s.toString());
            assertEquals(0, s.at("/transports/polling").asInt());
            JsonNode latency = s.get("delivery_latency");
            assertTrue(latency.get("count").asLong() >= 1);
            long inBuckets = 0;
            for (JsonNode n : latency.get("buckets")) {
                inBuckets += n.asLong();
            }
            assertEquals(latency.get("count").asLong(), inBuckets, "per-bucket counts add up to the count");
            assertTrue(latency.at("/buckets/+Inf").isIntegralNumber());
            assertTrue(s.at("/instances/0/delivery_latency/count").asLong() >= 1);
        }
        // §7: an Engine.IO long-polling session counts as polling until it upgrades
        HttpResponse<String> handshake = server.get("/socket.io/?EIO=4&transport=polling", null);
        assertEquals(200, handshake.statusCode(), handshake.body());
        JsonNode polling = statsWhen(n -> n.at("/transports/polling").asInt() == 1);
        assertEquals(1, polling.at("/transports/polling").asInt(), polling.toString());
        assertEquals(polling.at("/connections/total").asInt(), polling.at("/transports/polling").asInt()
                + polling.at("/transports/websocket").asInt(), "every connection is on one transport or the other");
        // Engine.IO close packet: the session ends, and with it its count (no other test sees it)
        String sid = WsTestClient.json(handshake.body().substring(1)).get("sid").asText();
        server.post("/socket.io/?EIO=4&transport=polling&sid=" + sid, null, "1");
        assertEquals(0, statsWhen(n -> n.at("/transports/polling").asInt() == 0).at("/transports/polling").asInt());
        String metrics = server.get("/metrics", null).body();
        assertTrue(metrics.contains("herald_transport_connections{transport=\"polling\"}"), metrics);
    }
}
