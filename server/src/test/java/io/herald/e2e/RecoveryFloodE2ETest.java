package io.herald.e2e;

import io.herald.config.ConfigKey;
import io.herald.testing.NeverReadingClient;
import io.herald.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * §11 replays are events under §8.3's bound: a client that never reads and asks again and again to resume from the
 * start of a topic's history (each answer replays every kept event) is closed as a slow consumer once more event
 * frames wait for it than {@code HERALD_SEND_BUFFER}, instead of making Herald hold replays without end.
 */
class RecoveryFloodE2ETest {
    @RegisterExtension
    static final TestServer server = TestServer.perClass(b -> b.set(ConfigKey.HISTORY_SIZE, "20")
            .set(ConfigKey.SEND_BUFFER, "50"));

    @Test
    void aClientThatNeverReadsAndFloodsResumesIsClosedAsASlowConsumer() throws Exception {
        String data = "x".repeat(4000);
        for (int n = 0; n < 20; n++) {
            server.publish("{\"topic\":\"share:fl\",\"event_type\":\"file_updated\",\"data\":{\"pad\":\"" + data + "\"}}");
        }
        String epoch;
        try (io.herald.testing.WsTestClient ws = io.herald.testing.WsTestClient.connect(
                server.ws("/api/v1/realtime/ws?token=" + server.userToken("flo", "fl")))) {
            ws.nextJson();
            ws.send("{\"action\":\"subscribe\",\"share_id\":\"fl\"}");
            epoch = ws.nextJson().get("epoch").asText();
        }
        long before = server.gateway().stats().slowConsumerCloses();
        byte[] resume = NeverReadingClient.frame(0x1, ("{\"action\":\"subscribe\",\"share_id\":\"fl\",\"since\":{\"epoch\":\""
                + epoch + "\",\"offset\":0}}").getBytes(StandardCharsets.UTF_8));
        try (NeverReadingClient c = NeverReadingClient.open(server.port(),
                "/api/v1/realtime/ws?token=" + server.userToken("flo", "fl"))) {
            try {
                c.flood(resume, 40, 2_000); // under §8.4's 50 commands a second: only the bound may stop it
            } catch (IOException closed) {
                // closed by Herald while flooding: what the test expects
            }
        }
        assertEquals(before + 1, server.gateway().stats().slowConsumerCloses(), "closed as a slow consumer (§8.3)");
        long held = server.gateway().connections().outboundBytes().get();
        assertTrue(held < 1024 * 1024, "Herald holds " + held + " bytes for a client that is gone");
    }
}
