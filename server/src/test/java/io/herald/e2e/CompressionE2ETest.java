package io.herald.e2e;

import io.herald.config.ConfigKey;
import io.herald.testing.RawWsClient;
import io.herald.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RFC 7692 permessage-deflate ({@code HERALD_COMPRESSION}, on by default), seen on the wire: negotiated when offered,
 * always {@code server_no_context_takeover}; an event goes to every subscriber that agreed as the same compressed
 * bytes; replies stay plain; compressed commands are inflated; a compression bomb closes 1009; a client without the
 * extension is served plain.
 */
class CompressionE2ETest {
    static final int MAX_FRAME = 4096;

    @RegisterExtension
    static final TestServer server = TestServer.perClass(b -> b.set(ConfigKey.MAX_FRAME, Integer.toString(MAX_FRAME)));

    @RegisterExtension
    static final TestServer off = TestServer.perClass(b -> b.set(ConfigKey.COMPRESSION, "off"));

    static String realtime(TestServer s, String user) {
        return "/api/v1/realtime/ws?token=" + s.userToken(user, "s1");
    }

    /** Connected and subscribed to share s1; the replies are plain text frames. */
    static RawWsClient subscribed(TestServer s, String user, String offer) throws Exception {
        return subscribed(s, user, offer, 0);
    }

    /** {@link #subscribed(TestServer, String, String)} with a socket receive buffer of that size (0: the system's). */
    static RawWsClient subscribed(TestServer s, String user, String offer, int receiveBuffer) throws Exception {
        RawWsClient c = RawWsClient.connect(s.port(), realtime(s, user), offer, receiveBuffer);
        assertTrue(c.upgraded(), c.responseHead);
        RawWsClient.Frame connected = c.nextText();
        assertFalse(connected.rsv1(), "replies are not compressed");
        assertTrue(connected.text().contains("\"connected\""), connected.text());
        c.sendText("{\"action\":\"subscribe\",\"share_id\":\"s1\"}", false);
        assertEquals("{\"type\":\"subscribed\",\"share_id\":\"s1\"}", c.nextText().text());
        return c;
    }

    @Test
    void anEventIsCompressedOnceAndTheSameBytesGoToEverySubscriberThatAgreed() throws Exception {
        try (RawWsClient a = subscribed(server, "ann", "permessage-deflate; client_max_window_bits");
             RawWsClient b = subscribed(server, "ben", "permessage-deflate");
             RawWsClient plain = subscribed(server, "cy", null)) {
            assertEquals("permessage-deflate; server_no_context_takeover", a.header("sec-websocket-extensions"));
            assertEquals("permessage-deflate; server_no_context_takeover", b.header("sec-websocket-extensions"));
            assertNull(plain.header("sec-websocket-extensions"), "no offer, no extension");
            String data = "{\"name\":\"" + "holiday-photo-".repeat(20) + "\"}";
            server.publish("{\"topic\":\"share:s1\",\"event_type\":\"file_created\",\"data\":" + data + "}");
            RawWsClient.Frame fa = a.nextText();
            RawWsClient.Frame fb = b.nextText();
            RawWsClient.Frame fp = plain.nextText();
            assertTrue(fa.rsv1() && fb.rsv1(), "compressed for the clients that agreed");
            assertFalse(fp.rsv1(), "plain for the one that did not");
            assertArrayEquals(fa.payload(), fb.payload(), "one compressed copy for every subscriber");
            assertTrue(fa.payload().length < fp.payload().length / 2,
                    "smaller on the wire: " + fa.payload().length + " vs " + fp.payload().length);
            assertEquals(fp.text(), fa.text(), "the same event once inflated");
            assertTrue(fp.text().contains("holiday-photo-"), fp.text());
            // and again: each message is compressed alone (no context taken over), so the bytes repeat exactly
            server.publish("{\"topic\":\"share:s1\",\"event_type\":\"file_created\",\"data\":" + data + "}");
            assertArrayEquals(fa.payload(), a.nextText().payload());
        }
    }

    @Test
    void compressedCommandsAreInflated() throws Exception {
        try (RawWsClient c = subscribed(server, "dee", "permessage-deflate")) {
            c.sendText("{\"action\":\"ping\"}", true);
            RawWsClient.Frame pong = c.nextText();
            assertEquals("{\"type\":\"pong\"}", pong.text());
            // a long command, compressed and split across a continuation frame
            byte[] whole = RawWsClient.deflate(("{\"action\":\"ping\",\"pad\":\"" + "x".repeat(2000) + "\"}")
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8));
            int half = whole.length / 2;
            c.sendFrame(0x41, Arrays.copyOfRange(whole, 0, half)); // text, RSV1, not final
            c.sendFrame(0x80, Arrays.copyOfRange(whole, half, whole.length)); // continuation, final
            assertEquals("{\"type\":\"pong\"}", c.nextText().text());
        }
    }

    @Test
    void aCompressionBombClosesTooBig() throws Exception {
        try (RawWsClient c = subscribed(server, "eve", "permessage-deflate")) {
            byte[] bomb = RawWsClient.deflate(new byte[4 * 1024 * 1024]); // 4 MiB of zeros in a few KiB
            assertTrue(bomb.length < MAX_FRAME, "the frame itself is within the limit: " + bomb.length);
            c.sendFrame(0xC1, bomb);
            RawWsClient.Frame close = c.next();
            assertEquals(8, close.opcode(), "a close frame, not " + close.text());
            assertEquals(1009, close.closeCode());
        }
    }

    /** RFC 6455 §5.2: with the extension, RSV2/RSV3, or RSV1 on a control frame, still fail the connection. */
    @Test
    void unknownReservedBitsStillFail() throws Exception {
        for (int b0 : new int[] {0xA1, 0x91, 0xC9}) { // text + RSV2, text + RSV3, ping + RSV1
            try (RawWsClient c = subscribed(server, "hal", "permessage-deflate")) {
                c.sendFrame(b0, "{\"action\":\"ping\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
                RawWsClient.Frame close = c.next();
                assertEquals(8, close.opcode(), "a close frame for 0x" + Integer.toHexString(b0) + ", not " + close.text());
                assertEquals(1002, close.closeCode(), "0x" + Integer.toHexString(b0));
            }
        }
    }

    @Test
    void offersHeraldCannotHonourAreDeclinedAndServedPlain() throws Exception {
        for (String offer : new String[] {
                "permessage-deflate; server_max_window_bits=10", // the JDK compressor always uses the full window
                "permessage-deflate; unknown_parameter",
                "x-webkit-deflate-frame",
                "permessage-deflate; client_max_window_bits=oops"}) {
            try (RawWsClient c = RawWsClient.connect(server.port(), realtime(server, "fay"), offer)) {
                assertTrue(c.upgraded(), offer + ": " + c.responseHead);
                assertNull(c.header("sec-websocket-extensions"), offer);
                assertFalse(c.nextText().rsv1(), offer);
            }
        }
        // the first offer that can be honoured wins; a client that offers client_no_context_takeover gets it
        try (RawWsClient c = RawWsClient.connect(server.port(), realtime(server, "fay"),
                "permessage-deflate; server_max_window_bits=10, permessage-deflate; client_no_context_takeover")) {
            assertEquals("permessage-deflate; server_no_context_takeover; client_no_context_takeover",
                    c.header("sec-websocket-extensions"), c.responseHead);
        }
    }

    @Test
    void compressionOffServesEveryonePlain() throws Exception {
        try (RawWsClient c = subscribed(off, "gus", "permessage-deflate")) {
            assertNull(c.header("sec-websocket-extensions"));
            off.publish("{\"topic\":\"share:s1\",\"event_type\":\"file_created\",\"data\":{\"a\":1}}");
            RawWsClient.Frame f = c.nextText();
            assertFalse(f.rsv1());
            assertTrue(f.text().contains("\"a\":1"), f.text());
            // a compressed frame without the extension is a protocol error (RFC 6455 §5.2: RSV1 must be 0)
            c.sendText("{\"action\":\"ping\"}", true);
            RawWsClient.Frame close = c.next();
            assertEquals(8, close.opcode());
            assertEquals(1002, close.closeCode());
        }
    }
}
