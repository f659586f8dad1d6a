package io.herald.transport;

import io.herald.auth.TokenVerifier;
import io.herald.broker.local.LocalBroker;
import io.herald.config.HeraldConfig;
import io.herald.hub.FrameRenderer;
import io.herald.hub.Hub;
import io.herald.metrics.Stats;
import io.herald.protocol.ConnectionCore;
import io.herald.protocol.Connections;
import io.herald.testing.EmbeddedConnection;
import io.herald.testing.TestServer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * The HTTP stage (codec, method gate, aggregator, request timeout, router) on an {@link EmbeddedChannel}, for tests of
 * plain HTTP routes that need no dialect: raw request text in, raw response text out.
 */
final class RouterChannel implements AutoCloseable {
    final EmbeddedChannel ch = new EmbeddedChannel();

    RouterChannel(Routes routes) {
        Stats stats = new Stats();
        HttpRouter router = new HttpRouter(routes,
                TokenVerifier.from(HeraldConfig.builder().jwtSecret(TestServer.SECRET).build(), Clock.systemUTC()),
                new ConnectionCore(new Hub(List.<FrameRenderer>of(), new LocalBroker(), ByteBufAllocator.DEFAULT, stats),
                        stats, new Connections(Duration.ofSeconds(90), Clock.systemUTC()), EmbeddedConnection.POLICY),
                new OriginPolicy(List.of(), false), 65536);
        HeraldChannelInitializer.configure(ch.pipeline(), routes, router, 10_000);
    }

    /** Writes the bytes of one or more requests and runs what they scheduled. */
    void send(String requests) {
        ch.writeInbound(Unpooled.copiedBuffer(requests, StandardCharsets.US_ASCII));
        ch.runPendingTasks();
    }

    /** Everything written so far, as text. */
    String out() {
        StringBuilder s = new StringBuilder();
        ByteBuf b;
        while ((b = ch.readOutbound()) != null) {
            s.append(b.toString(StandardCharsets.ISO_8859_1));
            b.release();
        }
        return s.toString();
    }

    static String get(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n";
    }

    @Override
    public void close() {
        ch.finishAndReleaseAll();
    }
}
