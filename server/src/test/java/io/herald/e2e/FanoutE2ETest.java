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

/**
 * Fan-out at scale: 1,000 realtime connections on one share each receive all 200 events, in order (§3), with §11
 * history on (the default): every event carries its offset, 1 to 200, in order, none twice.
 */
class FanoutE2ETest {
    static final int CLIENTS = 1000;
    static final int EVENTS = 200;
    @RegisterExtension
    static final TestServer server = TestServer.perClass(b -> b.set(io.herald.config.ConfigKey.HISTORY_SIZE, "100"));

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
            String epoch = null;
            for (WsTestClient c : clients) {
                var subscribed = c.nextJson();
                assertEquals("subscribed", subscribed.get("type").asText());
                assertEquals(0, subscribed.get("offset").asLong(), "nothing published yet");
                epoch = epoch == null ? subscribed.get("epoch").asText() : epoch;
                assertEquals(epoch, subscribed.get("epoch").asText(), "one epoch for the topic");
            }
            for (int i = 0; i < EVENTS; i++) {
                server.publish("{\"topic\":\"share:hot\",\"event_type\":\"file_updated\",\"data\":{\"seq\":" + i + "}}");
            }
            for (WsTestClient c : clients) {
                for (int i = 0; i < EVENTS; i++) {
                    assertEquals("{\"type\":\"file_updated\",\"share_id\":\"hot\",\"data\":{\"seq\":" + i + "},\"offset\":"
                            + (i + 1) + "}", c.next(Duration.ofSeconds(30)));
                }
            }
            assertEquals((long) CLIENTS * EVENTS, server.gateway().stats().delivered());
        } finally {
            clients.forEach(WsTestClient::close);
        }
    }
}
