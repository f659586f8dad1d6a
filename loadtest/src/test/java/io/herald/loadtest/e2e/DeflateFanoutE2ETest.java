package io.herald.loadtest.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.herald.loadtest.testing.InProcessFanout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code fanout --deflate}: clients that offer permessage-deflate (Netty's client handler, as a browser would) get
 * every event, inflated, in order, with far fewer bytes on the wire than the same run without the offer.
 */
class DeflateFanoutE2ETest {
    JsonNode run(Path report, boolean deflate) throws Exception {
        List<String> args = new ArrayList<>(List.of("--clients", "20", "--topics", "2", "--rate", "50",
                "--duration", "4s", "--payload", "2048"));
        if (deflate) {
            args.add("--deflate");
        }
        InProcessFanout.Result r = InProcessFanout.run(report, b -> { }, args.toArray(new String[0]));
        assertEquals(0, r.exit(), "exit code; summary: " + r.summary().toPrettyString());
        return r.summary();
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
