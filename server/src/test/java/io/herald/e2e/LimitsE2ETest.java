package io.herald.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.herald.config.ConfigKey;
import io.herald.testing.TestServer;
import io.herald.testing.WsTestClient;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * §8.4 limits (message size, UTF-8, binary, protocol violations, command rate) and the §8.7 close codes and
 * reasons they end with, over real sockets, on a server with {@code HERALD_MAX_FRAME=1024}.
 */
class LimitsE2ETest {
    static final int MAX_FRAME = 1024;
    /** Put into every offending message: a close reason must never repeat it (§8.7). */
    static final String CANARY = "CANARY-7f3a";

    @RegisterExtension
    static final TestServer server = TestServer.perClass(b -> b.set(ConfigKey.MAX_FRAME, Integer.toString(MAX_FRAME)));

    static WsTestClient connect() {
        return RealtimeE2ETestSupport.realtime(server, "alice", "s1");
    }

    /** A text payload of exactly {@code n} bytes that starts with the canary. */
    static ByteBuf payload(int n) {
        StringBuilder sb = new StringBuilder(CANARY);
        while (sb.length() < n) {
            sb.append('x');
        }
        byte[] bytes = sb.substring(0, n).getBytes(StandardCharsets.US_ASCII);
        assertEquals(n, bytes.length);
        return Unpooled.wrappedBuffer(bytes);
    }

    /** §8.7: the expected code; the reason is short (fits a control frame) and never echoes the input. */
    static void assertClosed(WsTestClient ws, int code) {
        WsTestClient.Closed closed = ws.awaitClose();
        assertEquals(code, closed.code(), "close code, reason: " + closed.reason());
        String reason = closed.reason() == null ? "" : closed.reason();
        assertTrue(reason.getBytes(StandardCharsets.UTF_8).length <= 123, "reason too long: " + reason);
        assertFalse(reason.contains(CANARY) || reason.contains("xxxx"), "reason echoes client input: " + reason);
        assertTrue(java.util.Arrays.stream(io.herald.protocol.Disconnect.values())
                        .anyMatch(d -> d.code() == code && d.reason().equals(reason)),
                "one of Herald's fixed reasons for " + code + ", not a message built from the frame: " + reason);
    }

    // §8.4 (a frame over HERALD_MAX_FRAME) → §8.7 1009
    @Test
    void aFrameOverMaxFrameCloses1009() {
        try (WsTestClient ws = connect()) {
            ws.sendFrame(new TextWebSocketFrame(true, 0, payload(MAX_FRAME + 1)));
            assertClosed(ws, 1009);
        }
    }

    // §8.4: a message of exactly HERALD_MAX_FRAME bytes is allowed (the limit is inclusive); answered as bad JSON
    @Test
    void aFrameOfExactlyMaxFrameIsAccepted() {
        try (WsTestClient ws = connect()) {
            ws.sendFrame(new TextWebSocketFrame(true, 0, payload(MAX_FRAME)));
            JsonNode err = ws.nextJson();
            assertEquals("error", err.get("type").asText());
            assertEquals("invalid_request", err.get("code").asText());
            ws.send("{\"action\":\"ping\"}");
            assertEquals("{\"type\":\"pong\"}", ws.next());
            assertFalse(ws.isClosed());
        }
    }

    // §8.4 ("fragments together" over HERALD_MAX_FRAME) → §8.7 1009
    @Test
    void fragmentsTogetherOverMaxFrameClose1009() {
        try (WsTestClient ws = connect()) {
            ws.sendFrame(new TextWebSocketFrame(false, 0, payload(600)));
            ws.sendFrame(new ContinuationWebSocketFrame(true, 0, payload(600)));
            assertClosed(ws, 1009);
        }
    }

    // §8.4: fragments that together stay within HERALD_MAX_FRAME make one message
    @Test
    void fragmentsWithinMaxFrameMakeOneCommand() {
        try (WsTestClient ws = connect()) {
            ws.sendFrame(new TextWebSocketFrame(false, 0,
                    Unpooled.copiedBuffer("{\"action\":", StandardCharsets.UTF_8)));
            ws.sendFrame(new ContinuationWebSocketFrame(true, 0,
                    Unpooled.copiedBuffer("\"ping\"}", StandardCharsets.UTF_8)));
            assertEquals("{\"type\":\"pong\"}", ws.next());
        }
    }

    // §8.4 invalid UTF-8 → §8.7 1007
    @Test
    void invalidUtf8Closes1007() {
        try (WsTestClient ws = connect()) {
            ByteBuf bad = Unpooled.buffer();
            bad.writeCharSequence("{\"action\":\"" + CANARY, StandardCharsets.US_ASCII);
            bad.writeByte(0xC3).writeByte(0x28); // 0xC3 must be followed by a continuation byte
            bad.writeCharSequence("\"}", StandardCharsets.US_ASCII);
            ws.sendFrame(new TextWebSocketFrame(true, 0, bad));
            assertClosed(ws, 1007);
        }
    }

    // §8.4 binary message on a JSON endpoint → §8.7 1003
    @Test
    void binaryMessageCloses1003() {
        try (WsTestClient ws = connect()) {
            ws.sendFrame(new BinaryWebSocketFrame(payload(32)));
            assertClosed(ws, 1003);
        }
    }

    // §8.4 protocol violation (RSV bit without a negotiated extension, RFC 6455 §5.2) → §8.7 1002
    @Test
    void reservedBitsClose1002() {
        try (WsTestClient ws = connect()) {
            ws.sendFrame(new TextWebSocketFrame(true, 4, payload(40)));
            assertClosed(ws, 1002);
        }
    }

    // §8.4 protocol violation (fragmented control frame, RFC 6455 §5.5) → §8.7 1002
    @Test
    void fragmentedPingCloses1002() {
        try (WsTestClient ws = connect()) {
            ws.sendFrame(new PingWebSocketFrame(false, 0, payload(20)));
            assertClosed(ws, 1002);
        }
    }

    // §8.4 protocol violation (continuation with no message started, RFC 6455 §5.4) → §8.7 1002
    @Test
    void orphanContinuationCloses1002() {
        try (WsTestClient ws = connect()) {
            ws.sendFrame(new ContinuationWebSocketFrame(true, 0, payload(20)));
            assertClosed(ws, 1002);
        }
    }

    static boolean isPong(JsonNode m) {
        return m.size() == 1 && "pong".equals(m.path("type").asText());
    }

    static boolean isRateLimited(JsonNode m) {
        return "error".equals(m.path("type").asText()) && "rate_limited".equals(m.path("code").asText())
                && m.hasNonNull("message");
    }

    // §8.4 commands beyond 50/s (burst 100) get rate_limited errors; the connection stays; a client that
    // keeps on is closed 1008 (§8.7 policy)
    @Test
    void commandFloodIsRateLimitedThenClosed1008() throws InterruptedException {
        try (WsTestClient ws = RealtimeE2ETestSupport.realtime(server, "alice")) {
            int burst = 150;
            // One flush: the server reads them in well under the second it takes to refill 50 tokens.
            ws.sendAll(Collections.nCopies(burst, "{\"action\":\"ping\"}"));
            int pongs = 0;
            int limited = 0;
            for (int i = 0; i < burst; i++) {
                JsonNode m = WsTestClient.json(ws.next());
                if (isPong(m)) {
                    pongs++;
                } else if (isRateLimited(m)) {
                    limited++;
                } else {
                    throw new AssertionError("answer " + i + " is neither pong nor rate_limited: " + m);
                }
            }
            assertTrue(pongs >= 100, "the burst of 100 is allowed, got " + pongs + " pongs");
            assertTrue(limited >= 1, "commands past the burst are rate_limited (pongs " + pongs + ")");
            assertFalse(ws.isClosed(), "rate_limited errors do not close the connection");

            // Sentinel: the connection still works once a few tokens have come back (50/s → 10 in 200 ms).
            Thread.sleep(200);
            ws.send("{\"action\":\"ping\"}");
            assertEquals("{\"type\":\"pong\"}", ws.next());
            assertFalse(ws.isClosed());

            // Keep on flooding: closed 1008.
            ws.sendAll(Collections.nCopies(400, "{\"action\":\"ping\"}"));
            assertClosed(ws, 1008);
            List<String> rest = new ArrayList<>(ws.drain());
            assertTrue(rest.stream().map(WsTestClient::json).anyMatch(LimitsE2ETest::isRateLimited),
                    "rate_limited errors came before the close: " + rest.size() + " messages");
        }
    }

    // §8.4: WebSocket ping frames are commands too; a client that keeps on flooding them is closed 1008
    @Test
    void pingFrameFloodIsClosed1008() {
        try (WsTestClient ws = RealtimeE2ETestSupport.realtime(server, "bob")) {
            List<PingWebSocketFrame> pings = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                pings.add(new PingWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1, 2, 3})));
            }
            ws.sendFrames(pings);
            assertClosed(ws, 1008);
        }
    }

    // §8.4 the limit is per connection: another connection of the same user is unaffected by a flood
    @Test
    void rateLimitIsPerConnection() {
        try (WsTestClient flooder = RealtimeE2ETestSupport.realtime(server, "carol");
             WsTestClient calm = RealtimeE2ETestSupport.realtime(server, "carol")) {
            flooder.sendAll(Collections.nCopies(150, "{\"action\":\"ping\"}"));
            for (int i = 0; i < 150; i++) {
                flooder.next();
            }
            calm.send("{\"action\":\"ping\"}");
            assertEquals("{\"type\":\"pong\"}", calm.next());
        }
    }
}
