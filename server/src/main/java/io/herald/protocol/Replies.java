package io.herald.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** Small reply frames shared by the JSON dialects, and the contract's timestamp format. */
public final class Replies {
    /** §5: {@code 2026-11-22T10:00:00.000Z}, always with milliseconds. */
    private static final DateTimeFormatter ISO_MILLIS =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private Replies() {
    }

    public static String timestamp(Instant t) {
        return ISO_MILLIS.format(t);
    }

    /** {@code {"<key>":"<value>"}}, e.g. {@code {"type":"pong"}}. */
    public static ByteBuf single(ByteBufAllocator alloc, String key, String value) {
        return TextFrames.json(alloc, g -> {
            g.writeStartObject();
            g.writeStringField(key, value);
            g.writeEndObject();
        });
    }

    /**
     * {@code {"type":"error","code":...,"<extraKey>":...,"message":...}}: how the sync and realtime endpoints
     * answer bad commands (§5). {@code extraKey} may be null.
     */
    public static ByteBuf error(ByteBufAllocator alloc, String code, String extraKey, String extraValue, String message) {
        return TextFrames.json(alloc, g -> {
            g.writeStartObject();
            g.writeStringField("type", "error");
            g.writeStringField("code", code);
            if (extraKey != null) {
                g.writeStringField(extraKey, extraValue);
            }
            g.writeStringField("message", message);
            g.writeEndObject();
        });
    }
}
