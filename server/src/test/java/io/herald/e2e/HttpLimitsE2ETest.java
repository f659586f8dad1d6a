package io.herald.e2e;

import io.herald.testing.RawHttp;
import io.herald.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * §9 over real sockets: a request body is bounded by its route (publish API 4 MiB, Socket.IO polling
 * {@code maxPayload}, everything else 16 KiB), whether its length is declared or it is chunked, and a body past
 * the bound is answered 413 before the rest of it is read; a method that a path does not serve answers 405
 * without reading the body.
 */
class HttpLimitsE2ETest {
    @RegisterExtension
    static final TestServer server = TestServer.perClass();

    static final Duration ANSWER = Duration.ofSeconds(5);
    /** §7: the Engine.IO maxPayload Herald announces in OPEN. */
    static final int MAX_PAYLOAD = 1_000_000;
    static final List<String> POLLING_PATHS = List.of("/socket.io/", "/socket.io", "/api/socket.io/", "/api/socket.io");

    static String head(String method, String target, String... headers) {
        StringBuilder r = new StringBuilder(method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        for (String h : headers) {
            r.append(h).append("\r\n");
        }
        return r.append("\r\n").toString();
    }

    static int status(String response) {
        assertTrue(response.startsWith("HTTP/1.1 "), "no HTTP answer: [" + response.substring(0, Math.min(200, response.length())) + "]");
        return Integer.parseInt(response.substring(9, 12));
    }

    static void assertTooLarge(String response) {
        assertEquals(413, status(response), response);
        assertTrue(response.contains("{\"error\":{\"code\":\"too_large\""), "the §3 JSON error body: " + response);
    }

    /** Sends {@code method target} with a chunked body of {@code size} bytes in 64 KiB chunks; returns the answer. */
    static String chunked(String method, String target, int size) throws IOException {
        try (RawHttp.Conversation c = RawHttp.Conversation.open(server.port())) {
            c.write(head(method, target, "Transfer-Encoding: chunked"));
            for (int sent = 0; sent < size; sent += 65536) {
                if (!c.writeChunk(Math.min(65536, size - sent))) {
                    break; // refused and closed: the answer is already there
                }
            }
            c.write("0\r\n\r\n");
            return c.response(ANSWER);
        }
    }

    /** Sends {@code method target} with a declared body of {@code size} bytes; returns the answer. */
    static String declared(String method, String target, int size) throws IOException {
        try (RawHttp.Conversation c = RawHttp.Conversation.open(server.port())) {
            c.write(head(method, target, "Content-Length: " + size));
            c.write(new byte[size]);
            return c.response(ANSWER);
        }
    }

    // §9: the body of a small route is bounded when chunked too: 3 MiB to /healthz is refused, not read whole
    @Test
    void aChunkedThreeMebibyteBodyToHealthzIs413() throws IOException {
        assertTooLarge(chunked("GET", "/healthz", 3 << 20));
    }

    // §9: "before the rest is read": the 413 comes while the client is still in the middle of its body,
    // then the connection ends
    @Test
    void aChunkedBodyIsRefusedBeforeTheRestOfItArrives() throws IOException {
        try (RawHttp.Conversation c = RawHttp.Conversation.open(server.port())) {
            c.write(head("GET", "/healthz", "Transfer-Encoding: chunked"));
            c.writeChunk(20_000); // past 16 KiB; the client then waits, its body unfinished
            assertTooLarge(c.response(ANSWER));
            assertTrue(c.closedWithin(Duration.ofSeconds(5)), "the connection ends after the 413");
        }
    }

    // §9: everything else takes 16 KiB, chunked or declared: another small route and a path no route serves
    @Test
    void aChunkedBodyOverSixteenKibibytesToAnotherSmallRouteIs413() throws IOException {
        assertTooLarge(chunked("GET", "/metrics", 16 * 1024 + 1));
        assertTooLarge(chunked("GET", "/readyz?x=1", 20_000));
        assertTooLarge(chunked("PUT", "/nowhere", 20_000));
        assertTooLarge(declared("PUT", "/nowhere", 16 * 1024 + 1));
        assertEquals(404, status(chunked("PUT", "/nowhere", 16 * 1024)), "within the bound: the path's own answer");
        assertEquals(200, status(chunked("GET", "/healthz", 16 * 1024)));
    }

    // §9, §7: a Socket.IO polling body up to maxPayload passes the body bound on every Socket.IO path (what
    // Engine.IO answers then is its own business: 400 for an unknown sid); one byte more is 413
    @Test
    void aSocketIoPollingBodyUpToMaxPayloadIsNotRefusedByTheBound() throws IOException {
        for (String path : POLLING_PATHS) {
            String target = path + "?EIO=4&transport=polling&sid=unknown";
            String r = declared("POST", target, MAX_PAYLOAD);
            assertNotEquals(413, status(r), path + ": " + r);
            assertTooLarge(declared("POST", target, MAX_PAYLOAD + 1));
        }
        String target = "/socket.io/?EIO=4&transport=polling&sid=unknown";
        // §7 over §9's 405: Engine.IO answers another method 400, as its reference server and the official suites do
        assertEquals(400, status(declared("PUT", "/socket.io/?EIO=4&transport=polling", 10)));
        assertNotEquals(413, status(chunked("POST", target, MAX_PAYLOAD)));
        assertTooLarge(chunked("POST", target, MAX_PAYLOAD + 1));
    }

    // §9, §3: the publish API takes up to 4 MiB; a chunked body past it is 413 too
    @Test
    void aChunkedPublishBodyOverFourMebibytesIs413() throws IOException {
        assertTooLarge(chunked("POST", "/api/v1/publish", (4 << 20) + 1));
    }

    static void assertMethodNotAllowed(String response, String allow) {
        assertEquals(405, status(response), response);
        assertTrue(response.contains("{\"error\":{\"code\":\"method_not_allowed\""), response);
        assertTrue(response.toLowerCase(java.util.Locale.ROOT).contains("allow: " + allow.toLowerCase(java.util.Locale.ROOT) + "\r\n"),
                response);
    }

    // §9, §3: PUT with a 3 MB body to the publish API is 405 at once: the answer comes with none of the body sent,
    // then the connection ends
    @Test
    void aPutWithALargeBodyToThePublishApiIs405WithoutReadingTheBody() throws IOException {
        try (RawHttp.Conversation c = RawHttp.Conversation.open(server.port())) {
            c.write(head("PUT", "/api/v1/publish", "Content-Length: 3000000",
                    "Authorization: Bearer " + server.publisherToken()));
            long t0 = System.nanoTime();
            assertMethodNotAllowed(c.response(ANSWER), "POST");
            assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(2).toNanos(), "405 without waiting for the body");
            c.write(new byte[3_000_000]); // whatever the client still sends is read and dropped
            assertTrue(c.closedWithin(Duration.ofSeconds(5)), "the connection ends after the 405");
        }
        assertMethodNotAllowed(chunked("PUT", "/api/v1/publish", 3_000_000), "POST");
    }

    // §9: each route answers its own methods: probes GET and HEAD, stats and metrics GET, WebSocket paths GET,
    // Socket.IO paths GET, POST and the OPTIONS preflight; a path no route serves keeps its 404
    @Test
    void eachRouteServesItsOwnMethods() throws IOException {
        assertMethodNotAllowed(chunked("POST", "/healthz", 3 << 20), "GET, HEAD");
        assertMethodNotAllowed(declared("POST", "/readyz", 10), "GET, HEAD");
        assertMethodNotAllowed(declared("POST", "/metrics", 10), "GET");
        assertMethodNotAllowed(declared("DELETE", "/api/v1/realtime/stats", 0), "GET");
        assertMethodNotAllowed(declared("POST", "/ws", 10), "GET");
        assertMethodNotAllowed(declared("PUT", "/api/v1/realtime/ws", 10), "GET");
        assertMethodNotAllowed(declared("POST", "/api/v1/sync/ws/d1", 10), "GET");
        for (String path : POLLING_PATHS) {
            // §7: Engine.IO's own answer to another method, as the reference server (and the official suite) has it
            assertEquals(400, status(declared("DELETE", path + "?EIO=4&transport=polling", 0)), path);
            assertNotEquals(405, status(declared("OPTIONS", path + "?EIO=4&transport=polling", 0)), path);
        }
        assertEquals(404, status(declared("PUT", "/nowhere", 10)));
        assertEquals(404, status(declared("DELETE", "/api/v1/publish/x", 0)));
    }

    // §9: HEAD on a probe is its GET without the body, and the kept-alive connection goes on
    @Test
    void headOnAProbeAnswersWithoutABody() throws IOException {
        try (RawHttp.Conversation c = RawHttp.Conversation.open(server.port())) {
            c.write(head("HEAD", "/healthz") + head("GET", "/healthz"));
            String both = c.until(t -> t.endsWith("}\n") && t.indexOf("HTTP/1.1 ", 1) > 0, ANSWER);
            int second = both.indexOf("HTTP/1.1 ", 1);
            assertTrue(second > 0, both);
            String headAnswer = both.substring(0, second);
            assertEquals(200, status(headAnswer), headAnswer);
            assertTrue(headAnswer.endsWith("\r\n\r\n"), "no body after the headers: " + headAnswer);
            assertEquals(200, status(both.substring(second)));
            assertTrue(both.endsWith("{\"status\":\"ok\"}\n"), both);
        }
    }

    @Test
    void headHasTheHeadersOfGetAndNoBody() throws Exception {
        // RFC 9110 §9.3.2, with the split HTTP codec (the encoder alone does not know the method)
        String r = io.herald.testing.RawHttp.exchange(server.port(),
                "HEAD /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        org.junit.jupiter.api.Assertions.assertTrue(r.startsWith("HTTP/1.1 200"), r);
        org.junit.jupiter.api.Assertions.assertTrue(r.toLowerCase().contains("content-length:"), r);
        org.junit.jupiter.api.Assertions.assertTrue(r.endsWith("\r\n\r\n"), "no body: " + r);
    }

    @Test
    void aPollingPostOverMaxPayloadIs413AndEndsItsSession() throws IOException {
        // §7: "one over it ends the session (polling: 413)"; the 413 comes from the route's bound (§9)
        String open = TestServer.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                server.http("/socket.io/?EIO=4&transport=polling"))).GET().build()).body();
        String target = "/socket.io/?EIO=4&transport=polling&sid=" + open.replaceAll(".*\"sid\":\"([^\"]+)\".*", "$1");
        java.util.function.Supplier<java.net.http.HttpResponse<String>> connect = () -> TestServer.send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(server.http(target)))
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("40")).build());
        assertEquals("ok", connect.get().body(), "the session is there");
        assertTooLarge(declared("POST", target, MAX_PAYLOAD + 1));
        assertEquals(400, connect.get().statusCode(), "and now it is gone");
    }
}
