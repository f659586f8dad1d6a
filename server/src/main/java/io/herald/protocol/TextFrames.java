package io.herald.protocol;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.SerializedString;
import io.herald.hub.RawJson;
import io.netty.buffer.ByteBuf;
import io.herald.hub.RawJson;
import io.netty.buffer.ByteBufAllocator;
import io.herald.hub.RawJson;
import io.netty.buffer.ByteBufOutputStream;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Encodes server-to-client WebSocket text frames (RFC 6455 §5.2) straight into one {@link ByteBuf}: the
 * frame header followed by a JSON payload written with jackson-core's streaming generator.
 *
 * <p>Hand-written because it is the hot path: server frames are unmasked (§5.1), so a publication's frame
 * is the same bytes for every subscriber. Encoding it once, header included, lets each subscriber get a
 * {@code retainedDuplicate()} that passes Netty's {@code WebSocket13FrameEncoder} untouched (it only
 * encodes {@code WebSocketFrame} objects), instead of a per-subscriber frame object and header write.
 *
 * <p>Usage: {@code ByteBuf f = TextFrames.json(alloc, g -> { g.writeStartObject(); ...; g.writeEndObject(); });}
 */
public final class TextFrames {
    /** FIN + opcode 1 (text), RFC 6455 §5.2. */
    private static final int FIN_TEXT = 0x81;
    /** The longest header: 2 bytes + 64-bit length. */
    static final int MAX_HEADER = 10;

    private static final JsonFactory JSON = JsonFactory.builder()
            .disable(com.fasterxml.jackson.core.StreamWriteFeature.AUTO_CLOSE_TARGET)
            .build();

    private TextFrames() {
    }

    /** Writes a JSON payload; the generator is Herald's only JSON writer on the message path. */
    @FunctionalInterface
    public interface JsonBody {
        void write(JsonGenerator g) throws IOException;
    }

    /** A frame whose payload {@code body} writes; the caller owns the result. */
    public static ByteBuf json(ByteBufAllocator alloc, JsonBody body) {
        Writer w = new Writer(alloc.ioBuffer(256));
        try {
            body.write(w.gen);
            return w.finish();
        } catch (IOException e) {
            w.discard();
            throw new UncheckedIOException(e);
        } catch (RuntimeException | Error e) {
            w.discard();
            throw e;
        }
    }

    /** Writes {@code "name": <raw JSON bytes>} without decoding them (§3: data reaches clients unchanged). */
    public static void rawField(JsonGenerator g, SerializedString name, byte[] rawJson) throws IOException {
        g.writeFieldName(name);
        g.writeRawValue(new RawJson(rawJson));
    }

    private static final SerializedString OFFSET = new SerializedString("offset");

    /** §11: {@code "offset": n} for an event with a position in its topic's history; nothing without one. */
    public static void offsetField(JsonGenerator g, long offset) throws IOException {
        if (offset > 0) {
            g.writeFieldName(OFFSET);
            g.writeNumber(offset);
        }
    }

    /** §11: {@code "epoch": e, "offset": n} of a position; nothing when {@code p} is null (no position known). */
    public static void positionFields(JsonGenerator g, io.herald.broker.history.History.Position p) throws IOException {
        if (p != null) {
            g.writeStringField("epoch", p.epoch());
            g.writeNumberField("offset", p.offset());
        }
    }

    /** A frame around ready-made UTF-8 payload bytes. */
    public static ByteBuf text(ByteBufAllocator alloc, byte[] utf8) {
        ByteBuf buf = alloc.ioBuffer(MAX_HEADER + utf8.length);
        buf.writerIndex(MAX_HEADER);
        buf.writeBytes(utf8);
        return seal(buf);
    }

    /**
     * A copy of {@code frame}, whose payload is a JSON array (a Socket.IO event, {@code 42[...]}), with one more string
     * element at its end: {@code ascii}, written as is (the caller passes only characters JSON needs no escape for).
     * The caller still owns {@code frame}. For §11 Socket.IO offsets, which differ per connection.
     */
    public static ByteBuf withLastString(ByteBufAllocator alloc, ByteBuf frame, String ascii) {
        ByteBuf payload = payload(frame);
        int body = payload.readableBytes() - 1; // without the closing ']'
        ByteBuf buf = alloc.ioBuffer(MAX_HEADER + body + ascii.length() + 4);
        buf.writerIndex(MAX_HEADER);
        buf.writeBytes(payload, payload.readerIndex(), body);
        buf.writeByte(',').writeByte('"');
        buf.writeCharSequence(ascii, java.nio.charset.StandardCharsets.US_ASCII);
        buf.writeByte('"').writeByte(']');
        return seal(buf);
    }

    /**
     * The payload of a frame made here (an unmasked single text frame), as a slice of it (no copy): how a transport
     * that is not WebSocket (Engine.IO long-polling, §7) sends the same encoded-once event.
     */
    public static ByteBuf payload(ByteBuf frame) {
        int i = frame.readerIndex();
        int len = frame.getByte(i + 1) & 0x7F;
        int header = len == 126 ? 4 : len == 127 ? 10 : 2;
        return frame.slice(i + header, frame.readableBytes() - header);
    }

    static int headerLength(int payloadLength) {
        return payloadLength <= 125 ? 2 : payloadLength <= 0xFFFF ? 4 : 10;
    }

    /** Writes the header into the space reserved before the payload and points the reader at it. */
    private static ByteBuf seal(ByteBuf buf) {
        return seal(buf, FIN_TEXT);
    }

    /**
     * Writes a header starting with {@code firstByte} (FIN, RSV, opcode) into the {@link #MAX_HEADER} bytes reserved
     * before the payload that runs to the writer index, and points the reader at it.
     */
    static ByteBuf seal(ByteBuf buf, int firstByte) {
        int length = buf.writerIndex() - MAX_HEADER;
        int start = MAX_HEADER - headerLength(length);
        buf.setByte(start, firstByte);
        if (length <= 125) {
            buf.setByte(start + 1, length);
        } else if (length <= 0xFFFF) {
            buf.setByte(start + 1, 126);
            buf.setShort(start + 2, length);
        } else {
            buf.setByte(start + 1, 127);
            buf.setLong(start + 2, length);
        }
        buf.readerIndex(start);
        return buf;
    }

    /** One frame being written. Call {@link #finish()} or {@link #discard()} exactly once. */
    private static final class Writer {
        private final ByteBuf buf;
        private final JsonGenerator gen;

        private Writer(ByteBuf buf) {
            this.buf = buf;
            buf.writerIndex(MAX_HEADER);
            try {
                this.gen = JSON.createGenerator((java.io.OutputStream) new ByteBufOutputStream(buf), JsonEncoding.UTF8);
            } catch (IOException e) {
                buf.release();
                throw new UncheckedIOException(e);
            }
        }

        ByteBuf finish() throws IOException {
            gen.close();
            return seal(buf);
        }

        void discard() {
            try {
                gen.close();
            } catch (IOException | RuntimeException ignored) {
                // the buffer is released regardless
            }
            buf.release();
        }
    }
}
