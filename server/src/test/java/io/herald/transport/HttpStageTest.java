package io.herald.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * What the HTTP stage's handler tests share: raw client bytes into an {@link EmbeddedChannel}, the answer read
 * back as text, and the check that every buffer the client wrote was released (whoever consumes a message
 * releases it).
 */
abstract class HttpStageTest {
    private final List<ByteBuf> written = new ArrayList<>();

    /** The channel under test, with an HTTP codec in front of the handlers. */
    abstract EmbeddedChannel channel();

    @AfterEach
    void releaseAndCheck() {
        channel().finishAndReleaseAll();
        for (ByteBuf b : written) {
            assertEquals(0, b.refCnt(), "every byte the client sent is released");
        }
    }

    void send(String text) {
        ByteBuf b = Unpooled.copiedBuffer(text, StandardCharsets.ISO_8859_1);
        written.add(b);
        channel().writeInbound(b);
        channel().runPendingTasks();
    }

    void head(String method, String target, String... headers) {
        StringBuilder r = new StringBuilder(method + " " + target + " HTTP/1.1\r\nHost: localhost\r\n");
        for (String h : headers) {
            r.append(h).append("\r\n");
        }
        send(r.append("\r\n").toString());
    }

    void chunk(int size) {
        send(Integer.toHexString(size) + "\r\n" + "x".repeat(size) + "\r\n");
    }

    /** The response written so far, as text, or null. */
    String response() {
        StringBuilder out = new StringBuilder();
        ByteBuf b;
        while ((b = channel().readOutbound()) != null) {
            out.append(b.toString(StandardCharsets.ISO_8859_1));
            b.release();
        }
        return out.isEmpty() ? null : out.toString();
    }
}
