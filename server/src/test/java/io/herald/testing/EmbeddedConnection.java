package io.herald.testing;

import io.herald.auth.Principal;
import io.herald.hub.FrameRenderer;
import io.herald.hub.Hub;
import io.herald.hub.InterestListener;
import io.herald.metrics.Stats;
import io.herald.protocol.Connection;
import io.herald.protocol.ConnectionCore;
import io.herald.protocol.ConnectionPolicy;
import io.herald.protocol.Connections;
import io.herald.protocol.Dialect;
import io.herald.protocol.DialectHandler;
import io.herald.protocol.WebSocketTransport;
import io.herald.protocol.Endpoint;
import io.herald.protocol.realtime.RealtimeDialect;
import io.herald.protocol.sync.SyncDialect;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.util.ReferenceCountUtil;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A dialect's connection on an {@link EmbeddedChannel}: the {@link DialectHandler} over a real hub with the
 * sync and realtime renderers, so dialect tests see exactly the frames a socket would get.
 */
public final class EmbeddedConnection implements AutoCloseable {
    public static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-22T10:00:00Z"), ZoneOffset.UTC);

    public final Stats stats = new Stats();
    public final List<String> interest = new ArrayList<>();
    /** The §8 defaults: 1000 frames, 10 s grace, 90 s idle, 50/s burst 100, close after 100 rejections. */
    public static final ConnectionPolicy POLICY = new ConnectionPolicy(1000, Duration.ofSeconds(10),
            Duration.ofSeconds(90), 50, 100, 100, Duration.ofSeconds(2));

    public final Hub hub;
    public final Connections connections;
    public final EmbeddedChannel channel;
    public final Connection connection;
    public final DialectHandler handler;
    public final WebSocketTransport transport;

    public EmbeddedConnection(Dialect dialect, Principal principal, String pathParameter) {
        this(dialect, principal, pathParameter, POLICY);
    }

    /** With another §8 policy (say, a higher command rate to reach a per-connection limit quickly). */
    public EmbeddedConnection(Dialect dialect, Principal principal, String pathParameter, ConnectionPolicy policy) {
        this(dialect, principal, pathParameter, policy, true);
    }

    /** A connection whose 101 is not out yet: {@link DialectHandler#open()} is the test's to call. */
    public static EmbeddedConnection unopened(Dialect dialect, Principal principal) {
        return new EmbeddedConnection(dialect, principal, null, POLICY, false);
    }

    private EmbeddedConnection(Dialect dialect, Principal principal, String pathParameter, ConnectionPolicy policy,
                               boolean open) {
        List<FrameRenderer> renderers = new ArrayList<>();
        for (Endpoint e : Endpoint.values()) {
            renderers.add(e == dialect.endpoint() ? dialect : e == Endpoint.SYNC ? new SyncDialect()
                    : e == Endpoint.REALTIME ? new RealtimeDialect(CLOCK) : (env, alloc) -> null);
        }
        hub = new Hub(renderers, new InterestListener() {
            @Override
            public CompletionStage<Void> firstSubscriber(String topic) {
                interest.add("+" + topic);
                return CompletableFuture.completedFuture(null);
            }

            @Override
            public void lastSubscriberLeft(String topic) {
                interest.add("-" + topic);
            }
        }, ByteBufAllocator.DEFAULT, stats);
        channel = new EmbeddedChannel();
        connections = new Connections(policy.idleTimeout(), CLOCK);
        ConnectionCore core = new ConnectionCore(hub, stats, connections, policy);
        transport = new WebSocketTransport(channel, policy.closeHandshake().toMillis());
        connection = new Connection(transport, dialect, principal, Long.MAX_VALUE, pathParameter, core);
        handler = new DialectHandler(connection, transport);
        channel.pipeline().addLast(handler);
        channel.pipeline().addLast(transport);
        if (open) {
            handler.open();
        }
    }

    public static Principal principal(String sub, Set<String> shares, Set<String> devices) {
        return new Principal(sub, Instant.parse("2030-01-01T00:00:00Z"), shares, devices, List.of(), Set.of());
    }

    /** A client text message through the pipeline. */
    public void send(String json) {
        channel.writeInbound(new TextWebSocketFrame(json));
        channel.runPendingTasks();
    }

    /** Every text frame written so far, decoded from the pre-encoded frames; releases them. */
    public List<String> texts() {
        channel.runPendingTasks();
        List<String> out = new ArrayList<>();
        Object o;
        while ((o = channel.readOutbound()) != null) {
            try {
                if (o instanceof ByteBuf b) {
                    out.add(payload(b));
                } else {
                    out.add(o.toString());
                }
            } finally {
                ReferenceCountUtil.release(o);
            }
        }
        return out;
    }

    /** The UTF-8 payload of one unmasked, unfragmented text frame (RFC 6455 §5.2). */
    public static String payload(ByteBuf frame) {
        int i = frame.readerIndex();
        if ((frame.getByte(i) & 0xFF) != 0x81) {
            throw new AssertionError("not a final text frame");
        }
        int len = frame.getByte(i + 1) & 0x7F;
        int header = 2;
        if (len == 126) {
            len = frame.getUnsignedShort(i + 2);
            header = 4;
        } else if (len == 127) {
            len = (int) frame.getLong(i + 2);
            header = 10;
        }
        if (frame.readableBytes() != header + len) {
            throw new AssertionError("frame length " + frame.readableBytes() + " != header " + header + " + " + len);
        }
        return frame.toString(i + header, len, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        channel.finishAndReleaseAll();
    }
}
