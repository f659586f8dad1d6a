package io.herald.e2e;

import com.fasterxml.jackson.databind.JsonNode;
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
 * §7 Engine.IO v4 by hand, packet by packet: the long-polling handshake, GET/POST, the reference's 400 answers,
 * and the upgrade to WebSocket with events published before, during and after it.
 */
class SocketIoTransportE2ETest {
    @RegisterExtension
    static final TestServer server = TestServer.perClass();

    static HttpResponse<String> get(String query) {
        return TestServer.send(HttpRequest.newBuilder(URI.create(server.http("/socket.io/?" + query)))
                .timeout(Duration.ofSeconds(10)).GET().build());
    }

    static HttpResponse<String> post(String query, String body) {
        return TestServer.send(HttpRequest.newBuilder(URI.create(server.http("/socket.io/?" + query)))
                .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    /** Handshake on polling as {@code user}; returns the sid. */
    static String open(String user) {
        HttpResponse<String> r = get("EIO=4&transport=polling&token=" + server.userToken(user));
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.body().startsWith("0{"), r.body());
        JsonNode open = WsTestClient.json(r.body().substring(1));
        assertEquals("[\"websocket\"]", open.get("upgrades").toString());
        assertEquals(25000, open.get("pingInterval").asInt());
        assertEquals(20000, open.get("pingTimeout").asInt());
        assertEquals(1000000, open.get("maxPayload").asInt());
        return open.get("sid").asText();
    }

    static void publish(String user, int from, int to) {
        StringBuilder b = new StringBuilder("{\"events\":[");
        for (int i = from; i < to; i++) {
            b.append(i == from ? "" : ",").append("{\"topic\":\"user:").append(user)
                    .append("\",\"event_type\":\"n\",\"data\":").append(i).append('}');
        }
        server.publish(b.append("]}").toString());
    }

    @Test
    void pollingHandshakeConnectAndEventsJoinedWithTheRecordSeparator() {
        String sid = open("fred");
        assertEquals("ok", post("EIO=4&transport=polling&sid=" + sid, "40").body());
        String connected = get("EIO=4&transport=polling&sid=" + sid).body();
        assertTrue(connected.matches("40\\{\"sid\":\"[^\"]+\"}"), connected);
        publish("fred", 0, 3);
        server.publish("{\"topic\":\"broadcast\",\"event_type\":\"bye\"}");
        StringBuilder all = new StringBuilder();
        while (!all.toString().contains("42[\"bye\"]")) {
            String body = get("EIO=4&transport=polling&sid=" + sid).body();
            all.append(all.length() == 0 ? "" : "\u001e").append(body);
        }
        assertEquals("42[\"n\",0]\u001e42[\"n\",1]\u001e42[\"n\",2]\u001e42[\"bye\"]", all.toString());
        assertEquals("ok", post("EIO=4&transport=polling&sid=" + sid, "1").body(), "the client closes");
        // A poll that may have been on its way when the close overtook it gets one noop; then the session is gone.
        HttpResponse<String> after = get("EIO=4&transport=polling&sid=" + sid);
        if (after.statusCode() == 200) {
            assertEquals("6", after.body());
            after = get("EIO=4&transport=polling&sid=" + sid);
        }
        assertEquals(400, after.statusCode(), "the session is gone");
    }

    @Test
    void aPollDuringTheProbeIsAnsweredWithANoop() {
        String sid = open("hana");
        post("EIO=4&transport=polling&sid=" + sid, "40");
        assertTrue(get("EIO=4&transport=polling&sid=" + sid).body().startsWith("40{"));
        try (WsTestClient ws = WsTestClient.connect(server.ws("/socket.io/?EIO=4&transport=websocket&sid=" + sid))) {
            ws.send("2probe");
            assertEquals("3probe", ws.next());
            assertEquals("6", get("EIO=4&transport=polling&sid=" + sid).body(), "the client may pause polling now");
            ws.send("5");
            server.publish("{\"topic\":\"user:hana\",\"event_type\":\"upgraded\"}");
            String f = ws.next();
            while (f.equals("2") || f.equals("6")) {
                f = ws.next();
            }
            assertEquals("42[\"upgraded\"]", f);
        }
    }

    @Test
    void aStalledWebSocketGetsForceSyncThenCloses4408() {
        String padding = "x".repeat(2000);
        try (WsTestClient ws = WsTestClient.connect(server.ws("/socket.io/?EIO=4&transport=websocket&token="
                + server.userToken("ivy")))) {
            assertTrue(ws.next().startsWith("0{"));
            ws.send("40");
            assertTrue(ws.next().startsWith("40{"));
            ws.pauseReading();
            for (int b = 0; b < 20; b++) {
                StringBuilder batch = new StringBuilder("{\"events\":[");
                for (int i = 0; i < 500; i++) {
                    batch.append(i == 0 ? "" : ",").append("{\"topic\":\"user:ivy\",\"event_type\":\"n\",\"data\":{\"pad\":\"")
                            .append(padding).append("\"}}");
                }
                server.publish(batch.append("]}").toString());
            }
            ws.resumeReading();
            String last;
            do {
                last = ws.next(Duration.ofSeconds(20));
            } while (last.startsWith("42[\"n\"") || last.equals("2"));
            assertEquals("42[\"force_sync\"]", last);
            assertEquals(4408, ws.awaitClose().code());
        }
    }

    @Test
    void everyTokenSourceOfTheUpgradeWorks() {
        // §2 for Socket.IO: Authorization, x-immich-user-token, the token query and the immich_access_token cookie
        String[][] sources = {
            {"authorization", "Bearer " + server.userToken("lee")},
            {"x-immich-user-token", server.userToken("lee")},
            {"cookie", "theme=dark; immich_access_token=" + server.userToken("lee")},
        };
        for (String[] source : sources) {
            io.netty.handler.codec.http.HttpHeaders h = new io.netty.handler.codec.http.DefaultHttpHeaders().set(source[0], source[1]);
            try (WsTestClient ws = WsTestClient.connect(server.ws("/api/socket.io/?EIO=4&transport=websocket"), h)) {
                assertTrue(ws.next().startsWith("0{"));
                ws.send("40");
                assertTrue(ws.next().startsWith("40{"), source[0]);
            }
        }
        try (WsTestClient ws = WsTestClient.connect(server.ws("/socket.io?EIO=4&transport=websocket&token=" + server.userToken("lee")))) {
            assertTrue(ws.next().startsWith("0{"));
            ws.send("40");
            assertTrue(ws.next().startsWith("40{"), "token query, path without the trailing slash");
        }
        try (WsTestClient ws = WsTestClient.connect(server.ws("/socket.io/?EIO=4&transport=websocket"))) {
            assertTrue(ws.next().startsWith("0{"));
            ws.send("40");
            assertEquals("44{\"message\":\"unauthorized\"}", ws.next(), "no token anywhere");
            assertEquals(4401, ws.awaitClose().code());
        }
    }

    @Test
    void binaryPacketsAreReadAndTheirAttachmentsDropped() {
        try (WsTestClient ws = WsTestClient.connect(server.ws("/socket.io/?EIO=4&transport=websocket&token=" + server.userToken("max")))) {
            assertTrue(ws.next().startsWith("0{"));
            ws.send("40");
            assertTrue(ws.next().startsWith("40{"));
            ws.send("451-[\"upload\",{\"_placeholder\":true,\"num\":0}]");
            ws.sendFrame(new io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame(io.netty.buffer.Unpooled.wrappedBuffer(new byte[] {9})));
            server.publish("{\"topic\":\"user:max\",\"event_type\":\"still_open\"}");
            String f = ws.next();
            while (f.equals("2")) {
                f = ws.next();
            }
            assertEquals("42[\"still_open\"]", f, "the connection stays open and delivers");
        }
    }

    @Test
    void badRequestsGetTheReferenceErrors() {
        HttpResponse<String> v3 = get("EIO=3&transport=polling");
        assertEquals(400, v3.statusCode());
        assertEquals("{\"code\":5,\"message\":\"Unsupported protocol version\"}", v3.body());
        HttpResponse<String> transport = get("EIO=4&transport=carrier-pigeon");
        assertEquals(400, transport.statusCode());
        assertEquals("{\"code\":0,\"message\":\"Transport unknown\"}", transport.body());
        HttpResponse<String> sid = get("EIO=4&transport=polling&sid=nope");
        assertEquals(400, sid.statusCode());
        assertEquals("{\"code\":1,\"message\":\"Session ID unknown\"}", sid.body());
        HttpResponse<String> method = post("EIO=4&transport=polling", "");
        assertEquals(400, method.statusCode());
        assertEquals("{\"code\":2,\"message\":\"Bad handshake method\"}", method.body());
    }

    @Test
    void aBadTokenOnPollingGetsUnauthorized() {
        HttpResponse<String> r = get("EIO=4&transport=polling&token=garbage");
        String sid = WsTestClient.json(r.body().substring(1)).get("sid").asText();
        post("EIO=4&transport=polling&sid=" + sid, "40");
        assertEquals("44{\"message\":\"unauthorized\"}", get("EIO=4&transport=polling&sid=" + sid).body());
        assertEquals(400, get("EIO=4&transport=polling&sid=" + sid).statusCode(), "and the transport is closed");
    }

    @Test
    void upgradeToWebSocketKeepsEveryEventInOrderOnce() {
        String sid = open("gina");
        post("EIO=4&transport=polling&sid=" + sid, "40");
        assertTrue(get("EIO=4&transport=polling&sid=" + sid).body().startsWith("40{"));
        publish("gina", 0, 10); // waiting in the polling session, never polled
        try (WsTestClient ws = WsTestClient.connect(server.ws("/socket.io/?EIO=4&transport=websocket&sid=" + sid))) {
            ws.send("2probe");
            assertEquals("3probe", ws.next());
            publish("gina", 10, 20); // both transports are subscribed around here
            ws.send("5");
            publish("gina", 20, 30);
            List<String> got = new ArrayList<>();
            while (got.size() < 30) {
                String f = ws.next();
                if (!f.equals("2") && !f.equals("6")) {
                    got.add(f);
                }
            }
            for (int i = 0; i < 30; i++) {
                assertEquals("42[\"n\"," + i + "]", got.get(i));
            }
            assertEquals(400, get("EIO=4&transport=polling&sid=" + sid).statusCode(), "polling is over for the session");
            server.publish("{\"topic\":\"user:gina\",\"event_type\":\"later\"}");
            String next = ws.next();
            while (next.equals("2")) {
                next = ws.next();
            }
            assertEquals("42[\"later\"]", next);
        }
    }
}
