package io.herald.e2e;

import io.herald.testing.TestServer;
import io.herald.testing.WsTestClient;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Opens realtime connections that are subscribed and ready. */
final class RealtimeE2ETestSupport {
    private RealtimeE2ETestSupport() {
    }

    static WsTestClient realtime(TestServer server, String user, String... shares) {
        WsTestClient ws = WsTestClient.connect(server.ws("/api/v1/realtime/ws?token=" + server.userToken(user, shares)));
        assertEquals("connected", ws.nextJson().get("type").asText());
        for (String share : shares) {
            ws.send("{\"action\":\"subscribe\",\"share_id\":\"" + share + "\"}");
            assertEquals("{\"type\":\"subscribed\",\"share_id\":\"" + share + "\"}", ws.next());
        }
        return ws;
    }
}
