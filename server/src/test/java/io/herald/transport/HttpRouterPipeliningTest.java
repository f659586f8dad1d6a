package io.herald.transport;

import io.herald.api.HttpResponses;
import io.herald.auth.TokenVerifier;
import io.herald.broker.local.LocalBroker;
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
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * HTTP/1.1 pipelining (RFC 9112 §9.3): a server answers pipelined requests in the order they came, so a request behind
 * one whose answer comes later (a publish through Redis, a long poll) waits for it instead of overtaking it.
 */
class HttpRouterPipeliningTest {
    final List<CompletableFuture<FullHttpResponse>> slowAnswers = new ArrayList<>();
    final Stats stats = new Stats();
    final Routes routes = new Routes()
            .http("/slow", (req, alloc) -> {
                CompletableFuture<FullHttpResponse> f = new CompletableFuture<>();
                slowAnswers.add(f);
                return f;
            }, RouteSpec.of(RouteSpec.SMALL_BODY, HttpMethod.GET))
            .http("/fast", (req, alloc) -> CompletableFuture.completedFuture(
                    HttpResponses.error(alloc, HttpResponseStatus.OK, "fast", req.uri())),
                    RouteSpec.of(RouteSpec.SMALL_BODY, HttpMethod.GET));
    final HttpRouter router = new HttpRouter(routes,
            TokenVerifier.from(io.herald.config.HeraldConfig.builder().jwtSecret(TestServer.SECRET).build(), Clock.systemUTC()),
            new ConnectionCore(new Hub(List.<FrameRenderer>of(), new LocalBroker(), ByteBufAllocator.DEFAULT, stats), stats,
                    new Connections(Duration.ofSeconds(90), Clock.systemUTC()), EmbeddedConnection.POLICY),
            new OriginPolicy(List.of(), false), 65536);
    final EmbeddedChannel ch = new EmbeddedChannel();

    HttpRouterPipeliningTest() {
        HeraldChannelInitializer.configure(ch.pipeline(), routes, router, 10_000);
    }

    @AfterEach
    void release() {
        slowAnswers.forEach(f -> f.thenAccept(r -> r.release()));
        ch.finishAndReleaseAll();
    }

    void send(String requests) {
        ch.writeInbound(Unpooled.copiedBuffer(requests, StandardCharsets.US_ASCII));
        ch.runPendingTasks();
    }

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

    @Test
    void aRequestBehindALateAnswerWaitsForIt() {
        send(get("/slow") + get("/fast?n=1") + get("/fast?n=2"));
        assertEquals("", out(), "nothing may overtake the first answer");
        assertEquals(1, slowAnswers.size());
        slowAnswers.get(0).complete(HttpResponses.error(ch.alloc(), HttpResponseStatus.ACCEPTED, "slow", "late"));
        ch.runPendingTasks();
        String wire = out();
        int slow = wire.indexOf("HTTP/1.1 202");
        int first = wire.indexOf("/fast?n=1");
        int second = wire.indexOf("/fast?n=2");
        assertTrue(slow >= 0 && first > slow && second > first, "in request order: " + wire);
        assertTrue(ch.isOpen());
    }

    @Test
    void twoLateAnswersInARowKeepTheirOrderToo() {
        send(get("/slow") + get("/slow") + get("/fast"));
        assertEquals(1, slowAnswers.size(), "the second waits to be handled until the first is answered");
        slowAnswers.get(0).complete(HttpResponses.error(ch.alloc(), HttpResponseStatus.ACCEPTED, "slow", "one"));
        ch.runPendingTasks();
        assertTrue(out().contains("\"one\""));
        assertEquals(2, slowAnswers.size());
        slowAnswers.get(1).complete(HttpResponses.error(ch.alloc(), HttpResponseStatus.ACCEPTED, "slow", "two"));
        ch.runPendingTasks();
        String rest = out();
        assertTrue(rest.indexOf("\"two\"") >= 0 && rest.indexOf("\"two\"") < rest.indexOf("\"fast\""), rest);
    }

    @Test
    void aClientThatPilesUpRequestsBehindALateAnswerIsCutOff() {
        StringBuilder many = new StringBuilder(get("/slow"));
        for (int i = 0; i < HttpRouter.MAX_PIPELINED + 1; i++) {
            many.append(get("/fast?n=" + i));
        }
        send(many.toString());
        assertFalse(ch.isOpen(), "past the bound the connection ends, holding nothing");
    }

    @Test
    void requestsHeldWhenTheClientGoesAreReleased() {
        send(get("/slow") + get("/fast") + get("/fast"));
        ch.close(); // paranoid leak detection fails the test if the held requests are not released
        ch.runPendingTasks();
        assertFalse(ch.isOpen());
    }
}
