package io.herald.loadtest.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.herald.config.ConfigKey;
import io.herald.loadtest.testing.InProcessFanout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code fanout --stalled}: two of five clients stop reading for 6 s while 8 KiB events come at 200/s, long enough to
 * fill the socket buffers and pass {@code HERALD_SEND_BUFFER} (200). Every stalled client must get {@code force_sync} and be
 * closed 4408 (§8.3), with no loss a {@code force_sync} did not announce; every other client gets every event.
 */
class StalledFanoutE2ETest {
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void stalledClientsAreToldAndClosedWhileTheOthersGetEverything(@TempDir Path report) throws Exception {
        InProcessFanout.Result r = InProcessFanout.run(report, b -> b.set(ConfigKey.SEND_BUFFER, "200"),
                "--clients", "5", "--topics", "1", "--rate", "200", "--duration", "10s", "--payload", "8192",
                "--stalled", "40", "--stall-for", "6s");
        JsonNode s = r.summary();
        assertEquals(0, r.exit(), "exit code; summary: " + s.toPrettyString());
        JsonNode stalled = s.get("stalled");
        assertEquals(2, stalled.get("clients").asInt(), s.toPrettyString());
        assertEquals(2, stalled.get("with_force_sync").asInt(), "§8.3: each was told: " + stalled);
        assertEquals(2, stalled.get("closed_4408").asInt(), "§8.3: and closed as a slow consumer: " + stalled);
        assertEquals(0, stalled.get("unannounced_gaps").asLong(), "no silent loss: " + stalled);
        assertEquals(s.get("expected_deliveries").asLong(), s.get("deliveries").asLong(), "the others got everything");
        assertTrue(s.get("expected_deliveries").asLong() >= 3L * 2000 * 9 / 10, s.toPrettyString());
        assertEquals(0, s.get("gaps").asLong());
        assertEquals(0, s.get("errors").asLong());
    }
}
