package io.herald.protocol;

import com.fasterxml.jackson.core.io.SerializedString;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TextFramesTest {
    private static final ByteBufAllocator ALLOC = ByteBufAllocator.DEFAULT;
    private static final SerializedString DATA = new SerializedString("data");

    /** Decodes {@code frame} (consumed) as a client would and returns its text payload. */
    private static String decode(ByteBuf frame) {
        EmbeddedChannel ch = new EmbeddedChannel(new WebSocket13FrameDecoder(false, false, 1 << 24));
        try {
            ch.writeInbound(frame);
            Object decoded = ch.readInbound();
            try {
                TextWebSocketFrame text = assertInstanceOf(TextWebSocketFrame.class, decoded);
                assertTrue(text.isFinalFragment());
                assertNull(ch.readInbound(), "exactly one frame");
                return text.text();
            } finally {
                io.netty.util.ReferenceCountUtil.release(decoded);
            }
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    /** RFC 6455 §5.2: 2-byte header up to 125, 4 bytes up to 65535, 10 bytes beyond. */
    private static int header(int length) {
        return length <= 125 ? 2 : length <= 65535 ? 4 : 10;
    }

    // §8 / RFC 6455 §5.2: text() frames decode to the exact payload, in all three length forms
    @ParameterizedTest
    @ValueSource(ints = {0, 1, 125, 126, 127, 65535, 65536, 70000})
    void textFrameRoundTrips(int length) {
        String payload = "é".repeat(length / 2) + "a".repeat(length % 2); // multi-byte UTF-8, `length` bytes
        byte[] utf8 = payload.getBytes(StandardCharsets.UTF_8);
        assertEquals(length, utf8.length);
        ByteBuf frame = TextFrames.text(ALLOC, utf8);
        assertEquals(header(length) + length, frame.readableBytes());
        assertEquals(payload, decode(frame));
    }

    // §8 / RFC 6455 §5.2: json() frames decode to the exact payload, in all three length forms
    @ParameterizedTest
    @ValueSource(ints = {2, 125, 126, 65535, 65536})
    void jsonFrameRoundTrips(int length) {
        String s = "x".repeat(length - 2);
        ByteBuf frame = TextFrames.json(ALLOC, g -> g.writeString(s));
        assertEquals(header(length) + length, frame.readableBytes());
        assertEquals("\"" + s + "\"", decode(frame));
    }

    // RFC 6455 §5.2: an empty payload is a 2-byte frame
    @Test
    void emptyJsonFrame() {
        ByteBuf frame = TextFrames.json(ALLOC, g -> { });
        assertEquals(2, frame.readableBytes());
        assertEquals("", decode(frame));
    }

    // §3: data written by rawField reaches clients unchanged, with the generator's separators right
    @Test
    void rawFieldIsCopiedVerbatim() {
        String raw = "{ \"id\" :\t\"f1\", \"name\":\"a é 😀 \\u0041\" , \"n\":1.50e3 }";
        ByteBuf frame = TextFrames.json(ALLOC, g -> {
            g.writeStartObject();
            g.writeStringField("type", "file_created");
            TextFrames.rawField(g, DATA, raw.getBytes(StandardCharsets.UTF_8));
            g.writeStringField("share_id", "s1");
            g.writeEndObject();
        });
        assertEquals("{\"type\":\"file_created\",\"data\":" + raw + ",\"share_id\":\"s1\"}", decode(frame));
    }

    // §3: raw data larger than the generator's buffer is copied unchanged too
    @Test
    void largeRawFieldIsCopiedVerbatim() {
        String raw = "[" + "\"é😀\",".repeat(10_000) + "1]";
        ByteBuf frame = TextFrames.json(ALLOC, g -> {
            g.writeStartObject();
            g.writeStringField("type", "x");
            TextFrames.rawField(g, DATA, raw.getBytes(StandardCharsets.UTF_8));
            g.writeEndObject();
        });
        assertEquals("{\"type\":\"x\",\"data\":" + raw + "}", decode(frame));
    }

    // A failing body releases its buffer (the leak extension checks) and reports the failure
    @Test
    void failingBodyReleasesBuffer() {
        assertThrows(UncheckedIOException.class, () -> TextFrames.json(ALLOC, g -> {
            g.writeStartObject();
            throw new IOException("boom");
        }));
        assertThrows(IllegalStateException.class, () -> TextFrames.json(ALLOC, g -> {
            throw new IllegalStateException("boom");
        }));
    }

    /** §11 Socket.IO: one more string at the end of an event's array, in a frame of its own (headers grow). */
    @Test
    void aLastStringIsAppendedToAnEventsArray() {
        for (int size : new int[] {10, 120, 70_000}) {
            String data = "\"" + "d".repeat(size) + "\"";
            io.netty.buffer.ByteBuf shared = TextFrames.text(io.netty.buffer.UnpooledByteBufAllocator.DEFAULT,
                    ("42[\"n\"," + data + "]").getBytes(java.nio.charset.StandardCharsets.UTF_8));
            io.netty.buffer.ByteBuf own = TextFrames.withLastString(io.netty.buffer.UnpooledByteBufAllocator.DEFAULT,
                    shared, "e.1~f.2");
            org.junit.jupiter.api.Assertions.assertEquals("42[\"n\"," + data + ",\"e.1~f.2\"]",
                    TextFrames.payload(own).toString(java.nio.charset.StandardCharsets.UTF_8));
            org.junit.jupiter.api.Assertions.assertEquals(1, shared.refCnt(), "the shared frame is the caller's");
            shared.release();
            own.release();
        }
    }
}
