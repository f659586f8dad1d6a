package io.herald.e2e;

import io.herald.testing.TestServer;
import io.herald.testing.WsTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Fan-out at scale: 1,000 realtime connections on one share each receive all 200 events, in order (§3). */
class FanoutE2ETest {
    static final int CLIENTS = 1000;
    static final int EVENTS = 200;
    @RegisterExtension
    static final TestServer server = TestServer.perClass();

    @Test
    void everyConnectionReceivesEveryEventInOrder() {
        String token = server.userToken("fan", "hot");
        List<WsTestClient> clients = new ArrayList<>();
        try {
            List<CompletableFuture<Void>> handshakes = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                WsTestClient c = WsTestClient.start(server.ws("/api/v1/realtime/ws?token=" + token),
                        new io.netty.handler.codec.http.DefaultHttpHeaders());
                clients.add(c);
                handshakes.add(c.handshakeDone());
            }
            CompletableFuture.allOf(handshakes.toArray(new CompletableFuture[0])).join();
            for (WsTestClient c : clients) {
                assertEquals("connected", c.nextJson().get("type").asText());
                c.send("{\"action\":\"subscribe\",\"share_id\":\"hot\"}");
            }
            for (WsTestClient c : clients) {
                assertEquals("{\"type\":\"subscribed\",\"share_id\":\"hot\"}", c.next());
            }
            for (int i = 0; i < EVENTS; i++) {
                server.publish("{\"topic\":\"share:hot\",\"event_type\":\"file_updated\",\"data\":{\"seq\":" + i + "}}");
            }
            for (WsTestClient c : clients) {
                for (int i = 0; i < EVENTS; i++) {
                    assertEquals("{\"type\":\"file_updated\",\"share_id\":\"hot\",\"data\":{\"seq\":" + i + "}}",
                            c.next(Duration.ofSeconds(30)));
                }
            }
            assertEquals((long) CLIENTS * EVENTS, server.gateway().stats().delivered());
        } finally {
            clients.forEach(WsTestClient::close);
        }
    }
}
