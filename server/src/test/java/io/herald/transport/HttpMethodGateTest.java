package io.herald.transport;

import io.herald.api.HealthApi;
import io.herald.protocol.sync.SyncDialect;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpServerCodec;
import org.junit.jupiter.api.Test;


import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** §9 methods per route on an EmbeddedChannel (codec, gate, aggregator): 405 on the head, nothing buffered, all released. */
class HttpMethodGateTest extends HttpStageTest {
    final Routes routes = new Routes()
            .http("/publish", HealthApi.live(), RouteSpec.of(4 << 20, HttpMethod.POST))
            .http("/healthz", HealthApi.live(), RouteSpec.of(RouteSpec.SMALL_BODY, HttpMethod.GET, HttpMethod.HEAD))
            .dialect("/ws", new SyncDialect())
            .dialect("/polling", new SyncDialect(),
                    RouteSpec.of(1000, HttpMethod.GET, HttpMethod.POST, HttpMethod.OPTIONS), null);
    final EmbeddedChannel ch = new EmbeddedChannel(new HttpServerCodec(), new HttpMethodGate(routes),
            new HttpBodyAggregator(routes));

    @Override
    EmbeddedChannel channel() {
        return ch;
    }

    void assertMethodNotAllowed(String allow) {
        String r = response();
        assertNotNull(r, "expected a 405");
        assertTrue(r.startsWith("HTTP/1.1 405 "), r);
        assertTrue(r.contains("allow: " + allow + "\r\n"), r);
        assertTrue(r.contains("\"code\":\"method_not_allowed\""), r);
        assertNull(ch.readInbound(), "nothing of the request reaches the aggregator's output");
        assertFalse(ch.isOpen(), "the connection ends after a 405");
    }

    /** The method of the request that went on, released. */
    String passed() {
        FullHttpRequest req = ch.readInbound();
        assertNotNull(req, "expected the request to go on");
        try {
            return req.method().name();
        } finally {
            req.release();
        }
    }

    @Test
    void aMethodTheRouteDoesNotServeIs405OnTheHeadWithAHugeDeclaredBodyUnread() {
        head("PUT", "/publish", "Content-Length: 3000000");
        assertMethodNotAllowed("POST");
    }

    @Test
    void theRestOfARefusedBodyIsReleasedUnread() {
        head("PUT", "/publish?x=1", "Transfer-Encoding: chunked");
        assertMethodNotAllowed("POST");
    }

    @Test
    void allowListsEveryMethodTheRouteServes() {
        head("DELETE", "/polling?EIO=4");
        assertMethodNotAllowed("GET, POST, OPTIONS");
    }

    @Test
    void aWebSocketPathServesGetOnly() {
        head("POST", "/ws", "Content-Length: 2");
        assertMethodNotAllowed("GET");
    }

    @Test
    void aProbeServesGetAndHead() {
        head("POST", "/healthz", "Content-Length: 3000000", "Expect: 100-continue");
        String r = response();
        assertFalse(r.contains("100 Continue"), "no 100 for a request that is refused: " + r);
        assertTrue(r.startsWith("HTTP/1.1 405 ") && r.contains("allow: GET, HEAD\r\n"), r);
    }

    @Test
    void servedMethodsGoOnAndAKeptAliveConnectionIsCheckedPerRequest() {
        head("GET", "/healthz");
        assertEquals("GET", passed());
        head("HEAD", "/healthz");
        assertEquals("HEAD", passed());
        head("OPTIONS", "/polling");
        assertEquals("OPTIONS", passed());
        head("POST", "/publish", "Content-Length: 2");
        send("{}");
        assertEquals("POST", passed());
        assertNull(response());
        head("GET", "/publish");
        assertMethodNotAllowed("POST");
    }

    @Test
    void aPathNoRouteServesGoesOnToTheRoutersNotFound() {
        head("PATCH", "/nowhere", "Content-Length: 2");
        send("{}");
        assertEquals("PATCH", passed());
        assertNull(response());
    }

    @Test
    void aHeadTheCodecCouldNotDecodeGoesOnToTheRouter() {
        send("PUT /publish HTTP/1.1\r\nHost: localhost\r\nX-Big: " + "a".repeat(20_000) + "\r\n\r\n");
        FullHttpRequest req = ch.readInbound();
        assertNotNull(req);
        assertFalse(req.decoderResult().isSuccess(), "the router answers 431 for it");
        req.release();
        assertNull(response());
    }
}
