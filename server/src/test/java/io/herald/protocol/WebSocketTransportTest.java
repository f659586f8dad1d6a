package io.herald.protocol;

import io.herald.transport.HandlerNames;
import io.herald.transport.WebSocketPipeline;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.util.concurrent.EventExecutor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static io.herald.protocol.OutboundBoundTest.frame;
import static io.herald.protocol.OutboundBoundTest.wire;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The WebSocket transport where Herald puts it, next to the socket ({@link HandlerNames}): event frames meet no other
 * handler on their way out and reach the §8.3 bound once each, taken or failed; behind TLS they pass it;
 * {@code WebSocketFrame}s still go through the encoder, in the order written.
 */
class WebSocketTransportTest {
    final EmbeddedChannel ch = new EmbeddedChannel();
    final WebSocketTransport transport = new WebSocketTransport(ch, 2_000);
    final List<Outbound.Kind> taken = new ArrayList<>();

    void bind() {
        transport.bind(new Transport.Owner() {
            @Override
            public EventExecutor eventLoop() {
                return ch.eventLoop();
            }

            @Override
            public void taken(Outbound.Kind kind, int bytes) {
                taken.add(kind);
            }

            @Override
            public void overrun() {
            }

            @Override
            public void transportClosed(Transport t) {
            }
        });
    }

    /** Records the promise of every write on its way to the socket, as a TLS handler would see them. */
    static final class Recorder extends ChannelOutboundHandlerAdapter {
        final List<ChannelPromise> promises = new ArrayList<>();

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            promises.add(promise);
            ctx.write(msg, promise);
        }
    }

    @AfterEach
    void close() {
        ch.finishAndReleaseAll();
    }

    @Test
    void nextToTheSocketEventsMeetNoOtherHandlerAndAreReportedTakenOnceEach() {
        WebSocketPipeline.placeTransport(ch.pipeline(), transport);
        bind();
        Recorder behind = new Recorder();
        ch.pipeline().addLast(behind); // writes from the transport never pass it: it is toward the tail
        for (int i = 0; i < 3; i++) {
            transport.writeEvent("share:s1", frame("e" + i));
        }
        assertEquals(List.of(), taken, "written, not flushed: not taken yet");
        transport.flush();
        assertEquals(List.of(Outbound.Kind.EVENT, Outbound.Kind.EVENT, Outbound.Kind.EVENT), taken);
        assertEquals(List.of("e0", "e1", "e2"), wire(ch));
        assertTrue(behind.promises.isEmpty(), "event frames meet no handler but the socket");
    }

    @Test
    void eventsTheSocketNeverTookAreReportedWhenTheChannelCloses() {
        WebSocketPipeline.placeTransport(ch.pipeline(), transport);
        bind();
        ByteBuf a = frame("a");
        ByteBuf b = frame("b");
        transport.writeEvent("share:s1", a);
        transport.writeEvent("share:s1", b);
        ch.close();
        ch.runPendingTasks();
        assertEquals(2, taken.size(), "failed writes count as gone");
        assertEquals(0, a.refCnt());
        assertEquals(0, b.refCnt());
        ByteBuf late = frame("late");
        transport.writeEvent("share:s1", late);
        ch.runPendingTasks();
        assertEquals(3, taken.size(), "a write after the close is reported too");
        assertEquals(0, late.refCnt());
    }

    @Test
    void behindTlsEventsPassItAndAreStillCounted() {
        Recorder tls = new Recorder();
        ch.pipeline().addFirst(HandlerNames.TLS, tls);
        ch.pipeline().addLast(HandlerNames.WS_ENCODER, new WebSocket13FrameEncoder(false));
        WebSocketPipeline.placeTransport(ch.pipeline(), transport);
        assertEquals(List.of(HandlerNames.TLS, HandlerNames.WS_TRANSPORT, HandlerNames.WS_ENCODER),
                ch.pipeline().names().subList(0, 3));
        bind();
        transport.writeEvent("share:s1", frame("e0"));
        transport.writeEvent("share:s1", frame("e1"));
        assertEquals(2, tls.promises.size(), "every frame passes TLS");
        transport.flush();
        assertEquals(2, taken.size());
        assertEquals(List.of("e0", "e1"), wire(ch));
    }

    @Test
    void webSocketFramesStillPassTheEncoderAndKeepTheirOrder() {
        WebSocketPipeline.placeTransport(ch.pipeline(), transport);
        ch.pipeline().addLast(HandlerNames.WS_ENCODER, new WebSocket13FrameEncoder(false));
        bind();
        transport.writeEvent("share:s1", frame("e0"));
        transport.write(new Outbound.Control(new PongWebSocketFrame(frame("p"))));
        transport.writeEvent("share:s1", frame("e1"));
        transport.flush();
        List<Integer> firstBytes = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        Object o;
        while ((o = ch.readOutbound()) != null) {
            ByteBuf buf = (ByteBuf) o;
            firstBytes.add((int) buf.getUnsignedByte(0));
            texts.add(buf.toString(StandardCharsets.UTF_8));
            buf.release();
        }
        // the pong is encoded (FIN + opcode 0xA, then its length and payload); the events go as written
        assertEquals(List.of((int) 'e', 0x8A, (int) 'e'), List.of(firstBytes.get(0), firstBytes.get(1),
                firstBytes.get(firstBytes.size() - 1)));
        assertEquals("e0", texts.get(0));
        assertEquals("e1", texts.get(texts.size() - 1));
        assertEquals(List.of(Outbound.Kind.EVENT, Outbound.Kind.REPLY, Outbound.Kind.EVENT), taken);
    }
}
