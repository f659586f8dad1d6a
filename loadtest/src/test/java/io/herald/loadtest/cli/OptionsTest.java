package io.herald.loadtest.cli;

import io.herald.loadtest.LoadTest;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class OptionsTest {
    @Test
    void durations() {
        assertEquals(Duration.ofMillis(500), Durations.parse("500ms"));
        assertEquals(Duration.ofSeconds(30), Durations.parse("30s"));
        assertEquals(Duration.ofSeconds(30), Durations.parse("30"));
        assertEquals(Duration.ofMinutes(2), Durations.parse("2m"));
        assertEquals(Duration.ofMillis(1500), Durations.parse("1.5s"));
        assertThrows(RuntimeException.class, () -> Durations.parse("soon"));
    }

    @Test
    void sourceAddressRanges() throws Exception {
        List<InetAddress> a = SourceAddresses.parse("127.0.0.1-127.0.0.8");
        assertEquals(8, a.size());
        assertEquals(InetAddress.getByName("127.0.0.8"), a.get(7));
        assertEquals(3, SourceAddresses.parse("127.0.0.1, 127.0.0.2-127.0.0.3").size());
        assertEquals(List.of(), SourceAddresses.parse(null));
        assertThrows(IllegalArgumentException.class, () -> SourceAddresses.parse("127.0.0.9-127.0.0.1"));
        assertThrows(IllegalArgumentException.class, () -> SourceAddresses.parse("localhost"));
    }

    @Test
    void badCombinationsExitWithTwoBeforeConnectingAnything() {
        // Nothing listens on port 9 of loopback; these fail during validation, before any connect.
        assertEquals(2, LoadTest.run("fanout", "--target", "ws://127.0.0.1:9", "--publish", "ftp://127.0.0.1:9/publish",
                "--jwt-secret", "0123456789abcdef0123456789abcdef"));
        assertEquals(2, LoadTest.run("fanout", "--target", "ws://127.0.0.1:9", "--publish",
                "http://127.0.0.1:9/api/v1/publish", "--jwt-secret", "too-short"));
        assertEquals(2, LoadTest.run("fanout", "--target", "ws://127.0.0.1:9", "--publish",
                "http://127.0.0.1:9/api/v1/publish", "--dialect", "carrier-pigeon"));
        assertEquals(2, LoadTest.run("fanout", "--target", "wss://127.0.0.1:9", "--publish",
                "http://127.0.0.1:9/api/v1/publish", "--dialect", "raw"));
        assertEquals(2, LoadTest.run("frobnicate"));
    }
}
