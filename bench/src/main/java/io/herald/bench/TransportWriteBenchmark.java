package io.herald.bench;

import io.herald.protocol.WebSocketTransport;
import io.herald.transport.WebSocketPipeline;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.Utf8FrameValidator;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.util.ReferenceCountUtil;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.concurrent.TimeUnit;

/**
 * One pre-encoded event frame written to {@code channels} WebSocket pipelines shaped like Herald's (encoder, decoder,
 * UTF-8 validation, aggregation, a dialect stage, the transport), then each flushed: the user-space part of a fan-out
 * write, pipeline walk and outbound buffer included, the socket left out ({@code EmbeddedChannel}). {@code placement}
 * says where the transport sits: {@code socket}, next to the head, as Herald places it; {@code tail}, behind every
 * stage, where it was before (each write then walks every stage's context).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class TransportWriteBenchmark {
    @Param({"10000"})
    public int channels;

    @Param({"64", "4096"})
    public int payload;

    @Param({"socket", "tail"})
    public String placement;

    private EmbeddedChannel[] pipes;
    private WebSocketTransport[] transports;
    private ByteBuf frame;

    @Setup(Level.Trial)
    public void setUp() {
        pipes = new EmbeddedChannel[channels];
        transports = new WebSocketTransport[channels];
        for (int i = 0; i < channels; i++) {
            EmbeddedChannel ch = new EmbeddedChannel();
            ch.pipeline().addLast("wsencoder", new WebSocket13FrameEncoder(false));
            ch.pipeline().addLast("wsdecoder", new WebSocket13FrameDecoder(true, false, 65536));
            ch.pipeline().addLast("ws-utf8", new Utf8FrameValidator(false));
            ch.pipeline().addLast("ws-aggregator", new WebSocketFrameAggregator(65536));
            ch.pipeline().addLast("ws-dialect", new ChannelInboundHandlerAdapter());
            WebSocketTransport t = new WebSocketTransport(ch, 2_000);
            if (placement.equals("tail")) {
                ch.pipeline().addLast("ws-transport", t);
            } else {
                WebSocketPipeline.placeTransport(ch.pipeline(), t);
            }
            pipes[i] = ch;
            transports[i] = t;
        }
        frame = ByteBufAllocator.DEFAULT.directBuffer(payload + 4);
        frame.writeByte(0x81).writeByte(payload < 126 ? payload : 126);
        if (payload >= 126) {
            frame.writeShort(payload);
        }
        frame.writerIndex(frame.writerIndex() + payload);
    }

    /** Writes the frame to every channel, then flushes each; returns what reached the (embedded) sockets. */
    @Benchmark
    public int writeAndFlushAll() {
        for (WebSocketTransport t : transports) {
            t.writeEvent("share:s1", frame.retainedDuplicate());
        }
        for (WebSocketTransport t : transports) {
            t.flush();
        }
        int out = 0;
        for (EmbeddedChannel ch : pipes) {
            Object o;
            while ((o = ch.outboundMessages().poll()) != null) {
                ReferenceCountUtil.release(o);
                out++;
            }
        }
        return out;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (EmbeddedChannel ch : pipes) {
            ch.finishAndReleaseAll();
        }
        frame.release();
    }
}
