package io.herald.transport;

import io.herald.api.HttpResponses;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static io.herald.transport.RouterChannel.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * HTTP/1.1 pipelining (RFC 9112 §9.3): a server answers pipelined requests in the order they came, so a request behind
 * one whose answer comes later (a publish through Redis, a long poll) waits for it instead of overtaking it.
 */
class HttpRouterPipeliningTest {
    final List<CompletableFuture<FullHttpResponse>> slowAnswers = new ArrayList<>();
    final RouterChannel http = new RouterChannel(new Routes()
            .http("/slow", (req, alloc) -> {
                CompletableFuture<FullHttpResponse> f = new CompletableFuture<>();
                slowAnswers.add(f);
                return f;
            }, RouteSpec.of(RouteSpec.SMALL_BODY, HttpMethod.GET))
            .http("/fast", (req, alloc) -> CompletableFuture.completedFuture(
                    HttpResponses.error(alloc, HttpResponseStatus.OK, "fast", req.uri())),
                    RouteSpec.of(RouteSpec.SMALL_BODY, HttpMethod.GET)));
    final EmbeddedChannel ch = http.ch;

    @AfterEach
    void release() {
        slowAnswers.forEach(f -> f.thenAccept(r -> r.release()));
        http.close();
    }

    @Test
    void aRequestBehindALateAnswerWaitsForIt() {
        http.send(get("/slow") + get("/fast?n=1") + get("/fast?n=2"));
        assertEquals("", http.out(), "nothing may overtake the first answer");
        assertEquals(1, slowAnswers.size());
        slowAnswers.get(0).complete(HttpResponses.error(ch.alloc(), HttpResponseStatus.ACCEPTED, "slow", "late"));
        ch.runPendingTasks();
        String wire = http.out();
        int slow = wire.indexOf("HTTP/1.1 202");
        int first = wire.indexOf("/fast?n=1");
        int second = wire.indexOf("/fast?n=2");
        assertTrue(slow >= 0 && first > slow && second > first, "in request order: " + wire);
        assertTrue(ch.isOpen());
    }

    @Test
    void twoLateAnswersInARowKeepTheirOrderToo() {
        http.send(get("/slow") + get("/slow") + get("/fast"));
        assertEquals(1, slowAnswers.size(), "the second waits to be handled until the first is answered");
        slowAnswers.get(0).complete(HttpResponses.error(ch.alloc(), HttpResponseStatus.ACCEPTED, "slow", "one"));
        ch.runPendingTasks();
        assertTrue(http.out().contains("\"one\""));
        assertEquals(2, slowAnswers.size());
        slowAnswers.get(1).complete(HttpResponses.error(ch.alloc(), HttpResponseStatus.ACCEPTED, "slow", "two"));
        ch.runPendingTasks();
        String rest = http.out();
        assertTrue(rest.indexOf("\"two\"") >= 0 && rest.indexOf("\"two\"") < rest.indexOf("\"fast\""), rest);
    }

    @Test
    void aClientThatPilesUpRequestsBehindALateAnswerIsCutOff() {
        StringBuilder many = new StringBuilder(get("/slow"));
        for (int i = 0; i < HttpRouter.MAX_PIPELINED + 1; i++) {
            many.append(get("/fast?n=" + i));
        }
        http.send(many.toString());
        assertFalse(ch.isOpen(), "past the bound the connection ends, holding nothing");
    }

    @Test
    void requestsHeldWhenTheClientGoesAreReleased() {
        http.send(get("/slow") + get("/fast") + get("/fast"));
        ch.close(); // paranoid leak detection fails the test if the held requests are not released
        ch.runPendingTasks();
        assertFalse(ch.isOpen());
    }
}
