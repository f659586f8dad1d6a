package io.herald.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.herald.config.ConfigKey;
import io.herald.testing.TestServer;
import io.herald.testing.WsTestClient;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * §7 conformance profile ({@code HERALD_SOCKETIO_CONFORMANCE=true}, loopback only): one test per behaviour the
 * contract lists. The official engine.io-protocol and socket.io-protocol test suites also pass against it (run
 * by hand; see docs/contract-notes.md).
 */
class SocketIoConformanceE2ETest {
    @RegisterExtension
    static final TestServer server = TestServer.perClass(b -> b.set(ConfigKey.SOCKETIO_CONFORMANCE, "true"));

    static WsTestClient socket(String path) {
        WsTestClient ws = WsTestClient.connect(server.ws(path + "?EIO=4&transport=websocket"));
        assertTrue(ws.next().startsWith("0{"));
        return ws;
    }

    /** Reads past server pings. */
    static String next(WsTestClient ws) {
        String f = ws.next();
        while (f.equals("2")) {
            ws.send("3");
            f = ws.next();
        }
        return f;
    }

    @Test
    void noAuthIsNeededAndTheHandshakeAuthIsEmittedBack() {
        try (WsTestClient ws = socket("/socket.io/")) {
            ws.send("40{\"token\":\"123\"}");
            assertTrue(next(ws).matches("40\\{\"sid\":\"[^\"]+\"}"));
            assertEquals("42[\"auth\",{\"token\":\"123\"}]", next(ws));
        }
        try (WsTestClient ws = socket("/socket.io/")) {
            ws.send("40");
            assertTrue(next(ws).startsWith("40{"));
            assertEquals("42[\"auth\",{}]", next(ws), "no payload: an empty auth");
        }
    }

    @Test
    void shortTimers() throws Exception {
        try (WsTestClient ws = WsTestClient.connect(server.ws("/socket.io/?EIO=4&transport=websocket"))) {
            JsonNode open = WsTestClient.json(ws.next().substring(1));
            assertEquals(300, open.get("pingInterval").asInt());
            assertEquals(200, open.get("pingTimeout").asInt());
            ws.send("40");
            // never answering pings: closed after pingInterval + pingTimeout
            long start = System.nanoTime();
            assertTrue(ws.awaitClose().code() > 0);
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertTrue(ms < 2000, "closed after " + ms + " ms");
        }
        try (WsTestClient ws = socket("/socket.io/")) {
            long start = System.nanoTime();
            // no CONNECT: connectTimeout 1000 ms (pongs keep the Engine.IO session itself alive)
            while (!ws.isClosed() && System.nanoTime() - start < 3_000_000_000L) {
                String f = ws.poll(Duration.ofMillis(50));
                if ("2".equals(f)) {
                    ws.trySend("3");
                }
            }
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertTrue(ws.isClosed() && ms >= 900 && ms < 2500, "closed after " + ms + " ms without CONNECT");
        }
    }

    @Test
    void anAbandonedPollingSessionEndsAfterPingIntervalPlusPingTimeout() throws Exception {
        int before = server.gateway().stats().connections(io.herald.protocol.Endpoint.SOCKETIO);
        HttpResponse<String> open = TestServer.send(HttpRequest.newBuilder(
                URI.create(server.http("/socket.io/?EIO=4&transport=polling"))).GET().build());
        String sid = WsTestClient.json(open.body().substring(1)).get("sid").asText();
        assertEquals(before + 1, server.gateway().stats().connections(io.herald.protocol.Endpoint.SOCKETIO));
        // nobody polls: the ping waits in the queue, its timeout ends the session (and frees what it held)
        long deadline = System.nanoTime() + 3_000_000_000L;
        while (server.gateway().stats().connections(io.herald.protocol.Endpoint.SOCKETIO) > before && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(before, server.gateway().stats().connections(io.herald.protocol.Endpoint.SOCKETIO));
        assertEquals(400, TestServer.send(HttpRequest.newBuilder(URI.create(
                server.http("/socket.io/?EIO=4&transport=polling&sid=" + sid))).GET().build()).statusCode());
    }

    @Test
    void messageIsEchoedAsMessageBackAndMessageWithAckIsAcknowledged() {
        try (WsTestClient ws = socket("/socket.io/")) {
            ws.send("40");
            next(ws);
            next(ws);
            ws.send("42[\"message\",1,\"2\",{\"3\":[true]}]");
            assertEquals("42[\"message-back\",1,\"2\",{\"3\":[true]}]", next(ws));
            ws.send("42456[\"message-with-ack\",1,\"2\",{\"3\":[false]}]");
            assertEquals("43456[1,\"2\",{\"3\":[false]}]", next(ws));
        }
    }

    @Test
    void binaryAttachmentsAreEchoedToo() {
        try (WsTestClient ws = socket("/socket.io/")) {
            ws.send("40");
            next(ws);
            next(ws);
            ws.send("452-[\"message\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]");
            ws.sendFrame(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1, 2, 3})));
            ws.sendFrame(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {4, 5, 6})));
            assertEquals("452-[\"message-back\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]", next(ws));
            assertEquals("bin:010203", next(ws));
            assertEquals("bin:040506", next(ws));
        }
    }

    @Test
    void theCustomNamespaceEmitsAuthAndOthersAreInvalid() {
        try (WsTestClient ws = socket("/socket.io/")) {
            ws.send("40/custom,{\"token\":\"abc\"}");
            assertTrue(next(ws).startsWith("40/custom,{\"sid\":"));
            assertEquals("42/custom,[\"auth\",{\"token\":\"abc\"}]", next(ws));
            ws.send("40/random");
            assertEquals("44/random,{\"message\":\"Invalid namespace\"}", next(ws));
        }
    }

    @Test
    void aBareEngineIoEchoServerAtEngineIo() {
        try (WsTestClient ws = socket("/engine.io/")) {
            ws.send("4hello");
            assertEquals("4hello", next(ws));
            ws.sendFrame(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1, 2, 3, 4})));
            assertEquals("bin:01020304", next(ws));
        }
        HttpResponse<String> open = TestServer.send(HttpRequest.newBuilder(
                URI.create(server.http("/engine.io/?EIO=4&transport=polling"))).GET().build());
        String sid = WsTestClient.json(open.body().substring(1)).get("sid").asText();
        String url = server.http("/engine.io/?EIO=4&transport=polling&sid=" + sid);
        assertEquals("ok", TestServer.send(HttpRequest.newBuilder(URI.create(url))
                .POST(HttpRequest.BodyPublishers.ofString("4hello\u001ebAQIDBA==")).build()).body());
        assertEquals("4hello\u001ebAQIDBA==", TestServer.send(HttpRequest.newBuilder(URI.create(url)).GET().build()).body());
    }

    @Test
    void theProductionPathsStillAnswerInTheProfile() {
        try (WsTestClient ws = socket("/api/socket.io/")) {
            ws.send("40");
            assertTrue(next(ws).startsWith("40{"));
        }
    }
}
