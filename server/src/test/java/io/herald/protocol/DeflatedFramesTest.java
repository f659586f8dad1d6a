package io.herald.protocol;

import io.herald.testing.RawWsClient;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RFC 7692 §7.2.1 server frames: RSV1, the payload deflated alone, the length in the right header form. */
class DeflatedFramesTest {
    /** A TextFrames frame whose JSON string is {@code n} bytes of {@code kind} text. */
    static ByteBuf frame(String text) {
        return TextFrames.json(ByteBufAllocator.DEFAULT, g -> {
            g.writeStartObject();
            g.writeStringField("t", text);
            g.writeEndObject();
        });
    }

    /** Reads a whole frame: header byte, and the payload after the 7/16/64-bit length. */
    static byte[] payloadOf(ByteBuf f) {
        int i = f.readerIndex();
        int len7 = f.getUnsignedByte(i + 1) & 0x7f;
        long len = len7 < 126 ? len7 : len7 == 126 ? f.getUnsignedShort(i + 2) : f.getLong(i + 2);
        int header = len7 < 126 ? 2 : len7 == 126 ? 4 : 10;
        assertEquals(f.readableBytes() - header, len, "the header's length is the payload's");
        byte[] out = new byte[(int) len];
        f.getBytes(i + header, out);
        return out;
    }

    @Test
    void payloadsOfEverySizeInflateBackExactly() {
        Random random = new Random(7);
        for (int n : new int[] {0, 1, 100, 125, 126, 1000, 65535, 65536, 200_000}) {
            StringBuilder b = new StringBuilder(n);
            for (int i = 0; i < n; i++) {
                b.append((char) ('a' + random.nextInt(random.nextBoolean() ? 2 : 26))); // compressible, not trivially
            }
            ByteBuf plain = frame(b.toString());
            int start = plain.readerIndex();
            ByteBuf deflated = DeflatedFrames.deflate(ByteBufAllocator.DEFAULT, plain);
            try {
                assertFalse(DeflatedFrames.isDeflated(plain));
                assertTrue(DeflatedFrames.isDeflated(deflated));
                assertEquals(0xC1, deflated.getUnsignedByte(deflated.readerIndex()), "FIN, RSV1, text");
                byte[] original = payloadOf(plain);
                assertEquals(new String(original, StandardCharsets.UTF_8),
                        new String(RawWsClient.inflate(payloadOf(deflated)), StandardCharsets.UTF_8), "size " + n);
                assertEquals(start, plain.readerIndex(), "the plain frame is left as it was");
            } finally {
                plain.release();
                deflated.release();
            }
        }
    }

    @Test
    void eachMessageIsCompressedAloneSoTheSameInputGivesTheSameBytes() {
        ByteBuf a = frame("the same event, twice over, the same event");
        ByteBuf d1 = DeflatedFrames.deflate(ByteBufAllocator.DEFAULT, a);
        ByteBuf d2 = DeflatedFrames.deflate(ByteBufAllocator.DEFAULT, a);
        try {
            assertEquals(d1, d2, "no context carried from one message to the next");
        } finally {
            a.release();
            d1.release();
            d2.release();
        }
    }
}
