package io.herald.transport;

import io.herald.api.HealthApi;
import io.herald.protocol.sync.SyncDialect;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpServerCodec;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** §9 body bounds per route on an EmbeddedChannel (codec and aggregator): declared and chunked, all released. */
class HttpBodyAggregatorTest extends HttpStageTest {
    static final int UPLOAD = 100_000;
    static final int POLLING = 1_000;

    /** Targets the polling route was told of (§7: a POST over maxPayload ends its session). */
    final List<String> tooLarge = new ArrayList<>();
    final Routes routes = new Routes()
            .http("/small", HealthApi.live(), RouteSpec.of(RouteSpec.SMALL_BODY, HttpMethod.POST))
            .http("/upload", HealthApi.live(), RouteSpec.of(UPLOAD, HttpMethod.POST))
            .dialect("/polling", new SyncDialect(), RouteSpec.of(POLLING, HttpMethod.GET, HttpMethod.POST)
                    .whenTooLarge(target -> tooLarge.add(target)), null);
    final EmbeddedChannel ch = new EmbeddedChannel(new HttpServerCodec(), new HttpBodyAggregator(routes));

    @Override
    EmbeddedChannel channel() {
        return ch;
    }

    void assertTooLarge() {
        String r = response();
        assertNotNull(r, "expected a 413");
        assertTrue(r.startsWith("HTTP/1.1 413 "), r);
        assertTrue(r.contains("\"code\":\"too_large\""), "the §3 JSON error body: " + r);
        assertTrue(r.toLowerCase().contains("connection: close"), r);
        assertNull(ch.readInbound(), "nothing of the request goes on");
        assertFalse(ch.isOpen(), "the connection ends after a 413");
    }

    /** The aggregated request, released; returns its body length. */
    int aggregatedBody() {
        FullHttpRequest req = ch.readInbound();
        assertNotNull(req, "expected the whole request");
        try {
            return req.content().readableBytes();
        } finally {
            req.release();
        }
    }

    @Test
    void aDeclaredLengthOverTheRouteBoundIsRefusedOnTheHead() {
        head("POST", "/small", "Content-Length: " + (RouteSpec.SMALL_BODY + 1));
        assertTooLarge();
    }

    @Test
    void aDeclaredLengthAtTheRouteBoundIsAggregated() {
        head("POST", "/small", "Content-Length: " + RouteSpec.SMALL_BODY);
        send("x".repeat(RouteSpec.SMALL_BODY));
        assertEquals(RouteSpec.SMALL_BODY, aggregatedBody());
        assertNull(response());
    }

    @Test
    void aChunkedBodyPastTheRouteBoundIsRefusedAtTheChunkThatPassesIt() {
        head("POST", "/small?x=1", "Transfer-Encoding: chunked");
        chunk(8192);
        chunk(8192);
        assertNull(response(), "exactly at the bound: still reading");
        chunk(1);
        assertTooLarge();
    }

    @Test
    void aChunkedBodyAtTheRouteBoundIsAggregated() {
        head("POST", "/small", "Transfer-Encoding: chunked");
        chunk(8192);
        chunk(8192);
        send("0\r\n\r\n");
        assertEquals(RouteSpec.SMALL_BODY, aggregatedBody());
    }

    @Test
    void aRouteWithALargerBoundTakesALargerChunkedBody() {
        head("POST", "/upload", "Transfer-Encoding: chunked");
        for (int i = 0; i < 10; i++) {
            chunk(UPLOAD / 10);
        }
        send("0\r\n\r\n");
        assertEquals(UPLOAD, aggregatedBody());
        head("POST", "/upload", "Transfer-Encoding: chunked");
        for (int i = 0; i < 10; i++) {
            chunk(UPLOAD / 10);
        }
        assertNull(response());
        chunk(1);
        assertTooLarge();
    }

    @Test
    void aDialectRouteHasItsOwnBound() {
        head("POST", "/polling?EIO=4", "Content-Length: " + POLLING);
        send("x".repeat(POLLING));
        assertEquals(POLLING, aggregatedBody());
        head("POST", "/polling?EIO=4", "Content-Length: " + (POLLING + 1));
        assertTooLarge();
    }

    @Test
    void anUnroutedPathTakesTheSmallBound() {
        head("PUT", "/nowhere", "Transfer-Encoding: chunked");
        chunk(8192);
        chunk(8192);
        chunk(1);
        assertTooLarge();
    }

    @Test
    void eachRequestOfAKeptAliveConnectionHasItsRoutesBound() {
        head("POST", "/upload", "Content-Length: 20000");
        send("x".repeat(20_000));
        assertEquals(20_000, aggregatedBody());
        head("POST", "/small", "Content-Length: 20000");
        assertTooLarge();
    }

    @Test
    void expectContinueOverTheBoundGetsTheJson413AndNo100() {
        head("POST", "/small", "Content-Length: " + (RouteSpec.SMALL_BODY + 1), "Expect: 100-continue");
        String r = response();
        assertFalse(r.contains("100 Continue"), r);
        assertTrue(r.startsWith("HTTP/1.1 413 ") && r.contains("\"code\":\"too_large\""), r);
    }

    @Test
    void expectContinueWithinTheBoundGets100() {
        head("POST", "/small", "Content-Length: 10", "Expect: 100-continue");
        assertTrue(response().startsWith("HTTP/1.1 100 Continue"));
        send("0123456789");
        assertEquals(10, aggregatedBody());
    }

    @Test
    void theRouteIsToldOfEveryBodyItRefusesDeclaredOrChunked() {
        head("POST", "/polling?sid=a", "Content-Length: " + (POLLING + 1));
        assertTooLarge();
        assertEquals(List.of("/polling?sid=a"), tooLarge);
    }

    @Test
    void theRouteIsToldOfAChunkedBodyPastItsBoundToo() {
        head("POST", "/polling?sid=b", "Transfer-Encoding: chunked");
        chunk(POLLING);
        assertEquals(List.of(), tooLarge, "at the bound: taken");
        chunk(1);
        assertTooLarge();
        assertEquals(List.of("/polling?sid=b"), tooLarge);
    }
}
