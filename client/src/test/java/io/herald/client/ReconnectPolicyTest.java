package io.herald.client;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReconnectPolicyTest {
    private static List<Long> seconds(ReconnectPolicy p, int n) {
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(p.delay(i).toMillis());
        }
        return out;
    }

    @Test
    void defaultsDoubleFromOneSecondAndCapAtThirty() {
        ReconnectPolicy p = new ReconnectPolicy(ClientOptions.DEFAULT_RECONNECT_BASE_DELAY,
                ClientOptions.DEFAULT_RECONNECT_MAX_DELAY, 0, () -> 0.5);
        assertEquals(List.of(1000L, 2000L, 4000L, 8000L, 16000L, 30000L, 30000L, 30000L), seconds(p, 8));
    }

    @Test
    void hugeAttemptNumbersStayAtTheCapWithoutOverflow() {
        ReconnectPolicy p = new ReconnectPolicy(Duration.ofMillis(100), Duration.ofSeconds(30), 0, () -> 0);
        for (int n : new int[] {20, 40, 61, 62, 63, 64, 1000, Integer.MAX_VALUE}) {
            assertEquals(Duration.ofSeconds(30), p.delay(n), "attempt " + n);
        }
    }

    @Test
    void jitterAddsUpToItsFractionOfTheCappedDelay() {
        assertEquals(Duration.ofMillis(1000), new ReconnectPolicy(Duration.ofSeconds(1), Duration.ofSeconds(30), 0.2, () -> 0.0).delay(0));
        assertEquals(Duration.ofMillis(1100), new ReconnectPolicy(Duration.ofSeconds(1), Duration.ofSeconds(30), 0.2, () -> 0.5).delay(0));
        // at the cap the extra is a fraction of 30 s: never below the cap, never more than 20 % above it
        assertEquals(Duration.ofMillis(33000), new ReconnectPolicy(Duration.ofSeconds(1), Duration.ofSeconds(30), 0.2, () -> 0.5).delay(9));
        ReconnectPolicy real = ReconnectPolicy.from(ClientOptions.create());
        for (int i = 0; i < 1000; i++) {
            long ms = real.delay(3).toMillis();
            assertTrue(ms >= 8000 && ms < 9600, "8 s + up to 20 %: " + ms);
        }
    }

    @Test
    void authRefusalStopsUnlessTheConnectionHadBeenGood() {
        Disconnect unauthorized = Disconnect.closedByServer(4401, "unauthorized");
        Disconnect notRegistered = Disconnect.closedByServer(4403, "device not registered");
        Disconnect expired = Disconnect.closedByServer(4401, "token expired");
        assertFalse(ReconnectPolicy.shouldReconnect(unauthorized, false));
        assertFalse(ReconnectPolicy.shouldReconnect(notRegistered, false));
        assertTrue(ReconnectPolicy.shouldReconnect(expired, true), "§8.2 expiry: one more try with a fresh token");
        assertTrue(ReconnectPolicy.shouldReconnect(notRegistered, true));
    }

    @Test
    void everythingElseReconnectsExceptTheClientsOwnClose() {
        assertTrue(ReconnectPolicy.shouldReconnect(Disconnect.closedByServer(1001, "going away"), false));
        assertTrue(ReconnectPolicy.shouldReconnect(Disconnect.closedByServer(4408, "slow consumer"), false));
        assertTrue(ReconnectPolicy.shouldReconnect(Disconnect.closedByServer(1008, "rate limit exceeded"), false));
        assertTrue(ReconnectPolicy.shouldReconnect(Disconnect.connectFailed("refused"), false));
        assertTrue(ReconnectPolicy.shouldReconnect(Disconnect.handshakeRefused(503), false));
        assertTrue(ReconnectPolicy.shouldReconnect(Disconnect.pongTimeout(), true));
        assertTrue(ReconnectPolicy.shouldReconnect(Disconnect.connectionLost("reset"), true));
        assertFalse(ReconnectPolicy.shouldReconnect(Disconnect.closedByClient(), true));
    }

    @Test
    void onlyServerClosesWith4401Or4403AreAuthRefusals() {
        assertTrue(Disconnect.closedByServer(4401, "").isAuthRefusal());
        assertTrue(Disconnect.closedByServer(4403, "").isAuthRefusal());
        assertFalse(Disconnect.closedByServer(4408, "").isAuthRefusal());
        assertFalse(Disconnect.handshakeRefused(401).isAuthRefusal());
        assertEquals(1005, Disconnect.closedByServer(-1, null).closeCode(), "RFC 6455 §7.1.5: no status code");
    }
}
