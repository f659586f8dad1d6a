package io.herald.loadtest.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.herald.Gateway;
import io.herald.config.ConfigKey;
import io.herald.config.HeraldConfig;
import io.herald.loadtest.LoadTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code fanout --deflate}: clients that offer permessage-deflate (Netty's client handler, as a browser would) get
 * every event, inflated, in order, with far fewer bytes on the wire than the same run without the offer.
 */
class DeflateFanoutE2ETest {
    private static final String SECRET = "loadtest-smoke-secret-0123456789abcdefghij";

    JsonNode run(Path report, boolean deflate) throws Exception {
        HeraldConfig config = HeraldConfig.builder().set(ConfigKey.BIND, "127.0.0.1").port(0).jwtSecret(SECRET)
                .set(ConfigKey.DRAIN, "200ms").build();
        try (Gateway herald = Gateway.start(config)) {
            String base = "127.0.0.1:" + herald.port();
            java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("fanout",
                    "--target", "ws://" + base, "--dialect", "realtime", "--clients", "20", "--topics", "2",
                    "--rate", "50", "--duration", "4s", "--payload", "2048", "--jwt-secret", SECRET,
                    "--publish", "http://" + base + "/api/v1/publish", "--report", report.toString()));
            if (deflate) {
                args.add("--deflate");
            }
            int exit = LoadTest.run(args.toArray(new String[0]));
            JsonNode s = new ObjectMapper().readTree(report.resolve("summary.json").toFile());
            assertEquals(0, exit, "exit code; summary: " + s.toPrettyString());
            return s;
        }
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void deflatingClientsGetEverythingWithFewerBytes(@TempDir Path plainReport, @TempDir Path deflateReport)
            throws Exception {
        JsonNode plain = run(plainReport, false);
        JsonNode deflated = run(deflateReport, true);
        assertEquals(plain.get("expected_deliveries").asLong(), deflated.get("deliveries").asLong());
        assertEquals(0, deflated.get("gaps").asLong());
        double plainBytes = plain.get("wire_bytes_per_delivery").asDouble();
        double deflatedBytes = deflated.get("wire_bytes_per_delivery").asDouble();
        assertTrue(plainBytes > 2048, "a 2 KiB event and its envelope: " + plainBytes);
        assertTrue(deflatedBytes < plainBytes / 4, "compressed on the wire: " + deflatedBytes + " vs " + plainBytes);
    }
}
