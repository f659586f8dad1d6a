package io.herald.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.concurrent.FastThreadLocal;

import java.nio.ByteBuffer;
import java.util.zip.Deflater;

/**
 * RFC 7692 permessage-deflate for server frames, compressed once: a {@link TextFrames} frame becomes a frame with
 * RSV1 set whose payload is the original payload compressed alone ({@code server_no_context_takeover}, §7.1.1.1),
 * so the same bytes serve every subscriber that negotiated the extension.
 *
 * <p>Hand-written framing over the JDK's {@link Deflater} because Netty's {@code PerMessageDeflateEncoder} compresses
 * each channel's frames with that channel's own compressor, once per subscriber: the cost Herald exists to avoid.
 * Inbound messages are inflated by Netty's decoder (see {@code transport.Compression}).
 */
public final class DeflatedFrames {
    /** FIN + RSV1 + opcode 1 (text). */
    private static final int FIN_RSV1_TEXT = 0xC1;
    private static final int RSV1 = 0x40;
    /** Speed over ratio: events are small JSON, compressed once but on the publishing path. */
    private static final int LEVEL = 6;
    private static final FastThreadLocal<Deflater> DEFLATER = new FastThreadLocal<>() {
        @Override
        protected Deflater initialValue() {
            return new Deflater(LEVEL, true); // raw DEFLATE, no zlib header (RFC 7692 §7.2.1)
        }

        @Override
        protected void onRemoval(Deflater d) {
            d.end();
        }
    };

    private DeflatedFrames() {
    }

    /** True when {@code frame} (a whole frame, header first) has RSV1 set: its payload is compressed. */
    public static boolean isDeflated(ByteBuf frame) {
        return (frame.getByte(frame.readerIndex()) & RSV1) != 0;
    }

    /**
     * A new frame holding {@code frame}'s payload compressed (RFC 7692 §7.2.1: DEFLATE with a sync flush, the
     * trailing {@code 00 00 ff ff} removed) behind a header with RSV1 set. {@code frame} is an unfragmented,
     * unmasked text frame as {@link TextFrames} makes them; it is left as it was. The caller owns the result.
     */
    public static ByteBuf deflate(ByteBufAllocator alloc, ByteBuf frame) {
        int start = frame.readerIndex();
        int len7 = frame.getUnsignedByte(start + 1) & 0x7f;
        int header = len7 < 126 ? 2 : len7 == 126 ? 4 : 10;
        int payload = frame.readableBytes() - header;
        Deflater d = DEFLATER.get();
        d.reset(); // no context takeover: each message alone
        d.setInput(frame.nioBuffer(start + header, payload));
        ByteBuf out = alloc.ioBuffer(TextFrames.MAX_HEADER + payload / 2 + 64);
        out.writerIndex(TextFrames.MAX_HEADER); // the header goes in front once the length is known
        int n;
        do {
            out.ensureWritable(Math.max(64, payload / 4));
            int room = out.writableBytes();
            ByteBuffer into = out.nioBuffer(out.writerIndex(), room);
            n = d.deflate(into, Deflater.SYNC_FLUSH);
            out.writerIndex(out.writerIndex() + n);
            if (n < room) {
                break; // flushed with room to spare: the whole input is out
            }
        } while (true);
        d.setInput(EMPTY); // drop the reference to the frame's memory
        // RFC 7692 §7.2.1: the sync flush ends with an empty stored block, 00 00 ff ff, which the sender removes
        out.writerIndex(out.writerIndex() - 4);
        return TextFrames.seal(out, FIN_RSV1_TEXT);
    }

    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);
}
