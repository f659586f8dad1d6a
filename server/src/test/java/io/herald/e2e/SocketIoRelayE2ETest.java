package io.herald.e2e;

import io.herald.testing.TwoInstancesOnRedis;
import io.herald.testing.TestServer;
import io.herald.testing.WsTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * §7 with a Redis broker and no sticky sessions: a long-polling session opened on instance A is served whichever
 * instance each of its requests lands on; every event arrives, in order, once.
 */
class SocketIoRelayE2ETest {
    @RegisterExtension
    static final TwoInstancesOnRedis on = new TwoInstancesOnRedis();

    static HttpResponse<String> get(TestServer s, String query) {
        return TestServer.send(HttpRequest.newBuilder(URI.create(s.http("/socket.io/?" + query)))
                .timeout(Duration.ofSeconds(30)).GET().build());
    }

    static HttpResponse<String> post(TestServer s, String query, String body) {
        return TestServer.send(HttpRequest.newBuilder(URI.create(s.http("/socket.io/?" + query)))
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    @Test
    void requestsAlternatingBetweenInstancesLoseNothing() {
        HttpResponse<String> open = get(on.a(), "EIO=4&transport=polling&token=" + on.a().userToken("kim"));
        String sid = WsTestClient.json(open.body().substring(1)).get("sid").asText();
        String q = "EIO=4&transport=polling&sid=" + sid;
        assertEquals("ok", post(on.b(), q, "40").body(), "a POST relayed from B to A");
        assertTrue(get(on.b(), q).body().startsWith("40{"), "a poll relayed from B to A");

        int events = 60;
        for (int i = 0; i < events; i++) {
            (i % 2 == 0 ? on.a() : on.b()).publish("{\"topic\":\"user:kim\",\"event_type\":\"n\",\"data\":" + i + "}");
        }
        List<String> got = new ArrayList<>();
        int request = 0;
        while (got.size() < events && request < 200) {
            TestServer via = request++ % 2 == 0 ? on.b() : on.a();
            HttpResponse<String> r = get(via, q);
            assertEquals(200, r.statusCode(), r.body());
            for (String packet : r.body().split("\u001e")) {
                if (packet.equals("2")) {
                    assertEquals("ok", post(via, q, "3").body());
                } else if (packet.startsWith("42")) {
                    got.add(packet);
                }
            }
        }
        for (int i = 0; i < events; i++) {
            assertEquals("42[\"n\"," + i + "]", got.get(i), "in order, none lost, none twice");
        }
        assertEquals(events, got.size());

        // Unknown sessions are refused everywhere; a WebSocket upgrade away from the owner is closed, so the
        // client keeps polling.
        assertEquals(400, get(on.b(), "EIO=4&transport=polling&sid=nope").statusCode());
        try (WsTestClient ws = WsTestClient.connect(on.b().ws("/socket.io/?EIO=4&transport=websocket&sid=" + sid))) {
            assertTrue(ws.awaitClose().code() > 0);
        }
        on.a().publish("{\"topic\":\"user:kim\",\"event_type\":\"still\"}");
        String body = get(on.b(), q).body();
        while (body.equals("2")) {
            post(on.b(), q, "3");
            body = get(on.b(), q).body();
        }
        assertEquals("42[\"still\"]", body, "the session goes on polling");
    }

    @Test
    void anotherUsersCredentialsAreRefusedThroughTheRelayToo() {
        // §7: a request carrying bob's token for alice's session is refused whichever instance it lands on.
        HttpResponse<String> open = get(on.a(), "EIO=4&transport=polling&token=" + on.a().userToken("ann"));
        String q = "EIO=4&transport=polling&sid=" + WsTestClient.json(open.body().substring(1)).get("sid").asText();
        String bob = on.b().userToken("bob");
        assertEquals(403, get(on.b(), q + "&token=" + bob).statusCode(), "a poll relayed from B with bob's token");
        assertEquals(403, post(on.b(), q + "&token=" + bob, "40").statusCode(), "a POST relayed from B");
        assertEquals("ok", post(on.b(), q + "&token=" + on.b().userToken("ann"), "40").body(), "ann's own, relayed");
        assertTrue(get(on.b(), q).body().startsWith("40{"));
    }

    @Test
    void aSessionOfAnInstanceThatIsNotLiveFailsAtOnceInsteadOfWaiting() {
        // The relay forwards only to instances that advertise their tag (§7): a sid naming no live instance is
        // answered 400 at once; forwarded, its poll would hang for pingInterval + pingTimeout + 5 s (50 s), past
        // this request's timeout.
        HttpResponse<String> r = TestServer.send(HttpRequest.newBuilder(URI.create(on.b().http(
                "/socket.io/?EIO=4&transport=polling&sid=Zz9Zz9Zz.abcdefghijklmnopqrst")))
                .timeout(Duration.ofSeconds(10)).GET().build());
        assertEquals(400, r.statusCode());
        assertEquals("{\"code\":1,\"message\":\"Session ID unknown\"}", r.body());
    }

    /**
     * §10 through the relay: a poll forwarded from B whose client leaves before the owner answers must not take the
     * next event with it; the owner hears that the client left and keeps the event for the next poll.
     */
    @Test
    void aForwardedPollWhoseClientLeftLosesNothing() throws Exception {
        HttpResponse<String> open = get(on.a(), "EIO=4&transport=polling&token=" + on.a().userToken("lea"));
        String q = "EIO=4&transport=polling&sid=" + WsTestClient.json(open.body().substring(1)).get("sid").asText();
        assertEquals("ok", post(on.a(), q, "40").body());
        assertTrue(get(on.a(), q).body().startsWith("40{"));
        java.net.http.HttpClient impatient = java.net.http.HttpClient.newHttpClient();
        try {
            impatient.send(HttpRequest.newBuilder(URI.create(on.b().http("/socket.io/?" + q)))
                    .timeout(Duration.ofMillis(500)).GET().build(), HttpResponse.BodyHandlers.ofString());
            throw new AssertionError("the poll should have been held: nothing was queued");
        } catch (java.net.http.HttpTimeoutException expected) {
            // the client gave up and closed its connection to B while the owner held its poll
        }
        Thread.sleep(500); // B tells A over the control channel
        on.a().publish("{\"topic\":\"user:lea\",\"event_type\":\"kept\"}");
        assertEquals("42[\"kept\"]", get(on.b(), q).body(), "the event waited for the next poll");
    }
}
