package io.herald.e2e;

import io.herald.config.ConfigKey;
import io.herald.testing.TestServer;
import io.herald.testing.WsTestClient;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * §8.4 handshake hardening (slowloris, bounded request line and headers, RFC 6455 version), §8.5 origin
 * checks, and the §1 {@code HERALD_MAX_CONNECTIONS} cap, over real sockets.
 */
class HandshakeHardeningE2ETest {
    static final String PATH = "/api/v1/realtime/ws";

    /** Default configuration. */
    @RegisterExtension
    static final TestServer server = TestServer.perClass();

    static TestServer startWith(Consumer<io.herald.config.HeraldConfig.Builder> b) {
        return TestServer.start(b);
    }

    // --- raw socket helpers ---

    static Socket open(TestServer s) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", s.port()), 5000);
        socket.setSoTimeout(10_000);
        return socket;
    }

    /** A valid RFC 6455 upgrade request head, without the final empty line. */
    static String upgradeHead(TestServer s, String target) {
        byte[] key = new byte[16];
        ThreadLocalRandom.current().nextBytes(key);
        return "GET " + target + " HTTP/1.1\r\n"
                + "Host: 127.0.0.1:" + s.port() + "\r\n"
                + "Upgrade: websocket\r\n"
                + "Connection: Upgrade\r\n"
                + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(key) + "\r\n";
    }

    /** Reads a response head (through the empty line); returns what came if the connection ends first. */
    static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            int b;
            while ((b = in.read()) != -1) {
                out.write(b);
                byte[] a = out.toByteArray();
                int n = a.length;
                if (n >= 4 && a[n - 4] == '\r' && a[n - 3] == '\n' && a[n - 2] == '\r' && a[n - 1] == '\n') {
                    break;
                }
            }
        } catch (IOException e) {
            if (out.size() == 0) {
                throw e;
            }
            // reset after the answer (the server closed with part of our oversized request unread)
        }
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    static int status(String head) {
        assertTrue(head.startsWith("HTTP/1.1 "), "no HTTP/1.1 status line: " + head.lines().findFirst().orElse(""));
        return Integer.parseInt(head.substring(9, 12));
    }

    /** Sends {@code request} on a fresh socket and returns the response head. */
    static String exchange(TestServer s, String request) throws IOException {
        try (Socket socket = open(s)) {
            IOException writeFailure = null;
            try {
                OutputStream out = socket.getOutputStream();
                out.write(request.getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
            } catch (IOException e) {
                writeFailure = e; // the server may answer and hang up before taking all of an oversized request
            }
            String head = readHead(socket.getInputStream());
            if (head.isEmpty() && writeFailure != null) {
                throw writeFailure;
            }
            return head;
        }
    }

    /** Reads one unmasked server text frame (payload under 64 KiB). */
    static String readTextFrame(InputStream in) throws IOException {
        int b0 = in.read();
        int b1 = in.read();
        assertEquals(0x81, b0, "a final text frame");
        int len = b1 & 0x7F;
        assertEquals(0, b1 & 0x80, "server frames are not masked");
        if (len == 126) {
            len = (in.read() << 8) | in.read();
        }
        byte[] payload = in.readNBytes(len);
        assertEquals(len, payload.length);
        return new String(payload, StandardCharsets.UTF_8);
    }

    // --- §8.4 slowloris ---

    // §8.4: a whole request must arrive within min(10 s, HERALD_IDLE_TIMEOUT); trickling bytes does not reset it
    @Test
    void slowlorisIsCutOffWithinTheRequestTimeout() throws Exception {
        try (TestServer slow = startWith(b -> b.set(ConfigKey.IDLE_TIMEOUT, "2s"));
             Socket socket = open(slow)) {
            long t0 = System.nanoTime();
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            out.write(("GET " + PATH + " HTTP/1.1\r\nHost: x\r\nX-Slow: ").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            socket.setSoTimeout(200); // the read timeout paces the trickle: one byte every ~200 ms
            boolean closed = false;
            while (!closed && System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(15)) {
                try {
                    out.write('a');
                    out.flush();
                } catch (IOException e) {
                    closed = true; // broken pipe / reset: the server is gone
                    break;
                }
                try {
                    int r = in.read();
                    if (r == -1) {
                        closed = true;
                    }
                    // bytes (a response such as 408) are fine; keep reading until the end of the stream
                } catch (SocketTimeoutException e) {
                    // still open: trickle on
                } catch (IOException e) {
                    closed = true; // reset
                }
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            assertTrue(closed, "the server never closed the trickling connection");
            assertTrue(seconds < 5, "closed after " + seconds + " s; the request timeout is 2 s");
            assertTrue(seconds >= 1.5, "closed after " + seconds + " s, before the 2 s request timeout");
        }
    }

    // --- §8.4 bounded request line and headers ---

    // §8.4: one header of 20 KB (the limit is 16 KiB of headers) → 431
    @Test
    void aHugeHeaderGets431() throws IOException {
        String request = upgradeHead(server, PATH) + "Sec-WebSocket-Version: 13\r\n"
                + "X-Big: " + "a".repeat(20 * 1024) + "\r\n\r\n";
        assertEquals(431, status(exchange(server, request)));
    }

    // §8.4: many headers together over the limit → 431
    @Test
    void manyHeadersTogetherGet431() throws IOException {
        StringBuilder r = new StringBuilder(upgradeHead(server, PATH)).append("Sec-WebSocket-Version: 13\r\n");
        for (int i = 0; i < 40; i++) {
            r.append("X-H").append(i).append(": ").append("b".repeat(500)).append("\r\n");
        }
        r.append("\r\n");
        assertEquals(431, status(exchange(server, r.toString())));
    }

    // §8.4: a request line over 8 KiB → 414
    @Test
    void aHugeRequestLineGets414() throws IOException {
        String request = upgradeHead(server, PATH + "?token=" + "t".repeat(9 * 1024))
                + "Sec-WebSocket-Version: 13\r\n\r\n";
        assertEquals(414, status(exchange(server, request)));
    }

    // §8.4 (RFC 6455 §4.4): only version 13 is spoken; another version → 426 naming 13
    @Test
    void anotherWebSocketVersionGets426() throws IOException {
        String head = exchange(server, upgradeHead(server, PATH + "?token=" + server.userToken("alice"))
                + "Sec-WebSocket-Version: 8\r\n\r\n");
        assertEquals(426, status(head));
        assertTrue(head.toLowerCase().contains("\r\nsec-websocket-version: 13\r\n"), head);
    }

    // §8.4: a plain request with sane sizes still works (the limits above are not off by a lot)
    @Test
    void aNormalRequestWithLargeishHeadersWorks() throws IOException {
        String head = exchange(server, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:" + server.port()
                + "\r\nX-Pad: " + "p".repeat(8 * 1024) + "\r\nConnection: close\r\n\r\n");
        assertEquals(200, status(head));
    }

    // --- §8.5 origin ---

    static HttpHeaders origin(String origin) {
        return new DefaultHttpHeaders().set("Origin", origin);
    }

    static String realtimeUrl(TestServer s) {
        return s.ws(PATH + "?token=" + s.userToken("alice", "s1"));
    }

    /** Starts an upgrade that must be refused with {@code status} and never become a WebSocket. */
    static void assertRefused(TestServer s, HttpHeaders headers, int status) {
        WsTestClient ws = WsTestClient.start(realtimeUrl(s), headers);
        try {
            assertThrows(CompletionException.class,
                    () -> ws.handshakeDone().orTimeout(WsTestClient.WAIT.toMillis(), TimeUnit.MILLISECONDS).join(),
                    "upgrade must be refused");
            assertEquals(status, ws.httpStatus());
        } finally {
            ws.close();
        }
    }

    static void assertUpgraded(TestServer s, HttpHeaders headers) {
        try (WsTestClient ws = WsTestClient.connect(realtimeUrl(s), headers)) {
            assertEquals(101, ws.httpStatus());
            assertEquals("connected", ws.nextJson().get("type").asText());
        }
    }

    /** Upgrades over a raw socket with no Origin header at all (WsTestClient always sends one). */
    static void assertUpgradedWithoutOrigin(TestServer s) throws IOException {
        try (Socket socket = open(s)) {
            String request = upgradeHead(s, PATH + "?token=" + s.userToken("alice")) + "Sec-WebSocket-Version: 13\r\n\r\n";
            assertTrue(request.lines().noneMatch(l -> l.toLowerCase().startsWith("origin:")));
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            InputStream in = socket.getInputStream();
            String head = readHead(in);
            assertEquals(101, status(head), head);
            String connected = readTextFrame(in);
            assertTrue(connected.startsWith("{\"type\":\"connected\""), connected);
        }
    }

    // §8.5: a foreign Origin → HTTP 403, no upgrade
    @Test
    void foreignOriginIsRefused403() {
        assertRefused(server, origin("http://evil.example"), 403);
        // same port, other host
        assertRefused(server, origin("http://evil.example:" + server.port()), 403);
        // same host, other port
        assertRefused(server, origin("http://127.0.0.1:" + (server.port() == 65535 ? 1 : server.port() + 1)), 403);
        // opaque origin
        assertRefused(server, origin("null"), 403);
    }

    // §8.5 default: the origin matching the Host header is allowed
    @Test
    void ownOriginIsAccepted() {
        assertUpgraded(server, origin("http://127.0.0.1:" + server.port()));
    }

    // §8.5: requests without Origin (non-browser clients) are not affected
    @Test
    void noOriginIsAccepted() throws IOException {
        assertUpgradedWithoutOrigin(server);
    }

    // §8.5 / §1 HERALD_ALLOWED_ORIGINS: the listed origins only (then not even the Host's own)
    @Test
    void allowedOriginsListIsEnforced() throws IOException {
        try (TestServer listed = startWith(b -> b.set(ConfigKey.ALLOWED_ORIGINS, "https://app.example"))) {
            assertUpgraded(listed, origin("https://app.example"));
            assertRefused(listed, origin("http://127.0.0.1:" + listed.port()), 403);
            assertRefused(listed, origin("https://evil.example"), 403);
            assertRefused(listed, origin("http://app.example"), 403);
            assertUpgradedWithoutOrigin(listed);
        }
    }

    // §8.5 / §1 HERALD_ALLOWED_ORIGINS=*: any origin
    @Test
    void wildcardAllowsAnyOrigin() throws IOException {
        try (TestServer any = startWith(b -> b.set(ConfigKey.ALLOWED_ORIGINS, "*"))) {
            assertUpgraded(any, origin("http://evil.example"));
            assertUpgraded(any, origin("https://app.example"));
            assertUpgraded(any, origin("http://127.0.0.1:" + any.port()));
            assertUpgradedWithoutOrigin(any);
        }
    }

    // --- §1 HERALD_MAX_CONNECTIONS ---

    // §1: connections past HERALD_MAX_CONNECTIONS are refused with HTTP 503; a freed slot is reusable;
    // plain HTTP still answers at the cap
    @Test
    void connectionCapRefuses503AndFreesSlots() throws Exception {
        try (TestServer capped = startWith(b -> b.set(ConfigKey.MAX_CONNECTIONS, "2"))) {
            WsTestClient a = RealtimeE2ETestSupport.realtime(capped, "alice");
            WsTestClient b = RealtimeE2ETestSupport.realtime(capped, "bob");
            try {
                assertRefused(capped, new DefaultHttpHeaders(), 503);
                assertRefused(capped, new DefaultHttpHeaders(), 503); // refusals take no slot
                assertEquals(200, capped.get("/healthz", null).statusCode(), "plain HTTP at the cap");

                a.close();
                a.awaitClose();
                // The slot frees when the server side of the channel has closed: poll briefly.
                WsTestClient c = null;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (c == null) {
                    WsTestClient attempt = WsTestClient.start(realtimeUrl(capped), new DefaultHttpHeaders());
                    try {
                        attempt.handshakeDone().orTimeout(WsTestClient.WAIT.toMillis(), TimeUnit.MILLISECONDS).join();
                        c = attempt;
                    } catch (CompletionException e) {
                        attempt.close();
                        assertEquals(503, attempt.httpStatus(), "only the cap may refuse: " + e.getCause());
                        if (System.nanoTime() > deadline) {
                            fail("a closed connection's slot was never freed");
                        }
                        Thread.sleep(50);
                    }
                }
                try {
                    assertEquals("connected", c.nextJson().get("type").asText());
                    // full again
                    assertRefused(capped, new DefaultHttpHeaders(), 503);
                } finally {
                    c.close();
                }
            } finally {
                a.close();
                b.close();
            }
        }
    }

    @Test
    void aFrameSentInTheSameWriteAsTheUpgradeRequestIsNotLost() throws Exception {
        // The dialect's stages are in place before the 101: bytes right behind the request reach them.
        String req = "GET /api/v1/realtime/ws?token=" + server.userToken("early", "s1") + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 13\r\n\r\n";
        byte[] head = req.getBytes(StandardCharsets.US_ASCII);
        byte[] frame = io.herald.testing.NeverReadingClient.frame(0x1,
                "{\"action\":\"subscribe\",\"share_id\":\"s1\"}".getBytes(StandardCharsets.UTF_8));
        byte[] both = new byte[head.length + frame.length];
        System.arraycopy(head, 0, both, 0, head.length);
        System.arraycopy(frame, 0, both, head.length, frame.length);
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
            s.setSoTimeout(200);
            s.getOutputStream().write(both); // one write: one TCP segment on loopback
            s.getOutputStream().flush();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            byte[] buf = new byte[4096];
            while (System.nanoTime() < until && !got.toString(StandardCharsets.ISO_8859_1).contains("\"subscribed\"")) {
                try {
                    int n = s.getInputStream().read(buf);
                    if (n < 0) {
                        break;
                    }
                    got.write(buf, 0, n);
                } catch (SocketTimeoutException e) {
                    // keep waiting
                }
            }
            String text = got.toString(StandardCharsets.ISO_8859_1);
            assertTrue(text.startsWith("HTTP/1.1 101"), text);
            int connected = text.indexOf("\"type\":\"connected\"");
            int subscribed = text.indexOf("{\"type\":\"subscribed\",\"share_id\":\"s1\"}");
            assertTrue(connected > 0 && subscribed > connected, "connected, then the early frame's answer: " + text);
        }
    }
}
