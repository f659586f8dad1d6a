package io.herald.loadtest.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.herald.loadtest.LoadTest;
import io.herald.loadtest.testing.PeerServer;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The peer dialects end to end against {@link PeerServer}, with no token anywhere (peers take no auth). */
class PeerDialectsE2ETest {
    @ParameterizedTest
    @ValueSource(strings = {"raw", "socketio"})
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void fanoutThroughAPeer(String dialect, @TempDir Path report) throws Exception {
        int exit;
        int auth;
        try (PeerServer peer = new PeerServer()) {
            exit = LoadTest.run("fanout", "--target", "ws://127.0.0.1:" + peer.port(), "--dialect", dialect,
                    "--clients", "40", "--topics", "4", "--rate", "40", "--duration", "2s", "--payload", "100",
                    "--publish", "http://127.0.0.1:" + peer.port() + "/api/v1/publish", "--report", report.toString());
            auth = peer.authorizationHeaders();
        }
        JsonNode s = new ObjectMapper().readTree(report.resolve("summary.json").toFile());
        assertEquals(0, exit, s.toPrettyString());
        assertEquals(40, s.get("clients_connected").asInt());
        assertEquals(80, s.get("events_published").asLong());
        assertEquals(80 * 10, s.get("deliveries").asLong());
        assertEquals(0, s.get("gaps").asLong());
        if (System.getenv("HERALD_JWT_SECRET") == null) {
            assertEquals(0, auth, "no --jwt-secret: the publisher sends no token");
        }
    }
}
