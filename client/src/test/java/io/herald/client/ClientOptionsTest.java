package io.herald.client;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClientOptionsTest {
    @Test
    void defaultsAreTheContractsIntervals() {
        ClientOptions o = ClientOptions.create();
        assertEquals(Duration.ofSeconds(30), o.pingInterval());
        assertEquals(Duration.ofSeconds(30), o.pongTimeout());
        assertEquals(Duration.ofSeconds(1), o.reconnectBaseDelay());
        assertEquals(Duration.ofSeconds(30), o.reconnectMaxDelay());
        assertEquals(0.2, o.reconnectJitter());
        assertEquals(Duration.ofSeconds(10), o.connectTimeout());
        assertEquals(2 * 1024 * 1024, o.maxMessageBytes());
        assertTrue(o.autoReconnect());
    }

    @Test
    void mutateCopiesAndLeavesTheOriginalAlone() {
        ClientOptions a = ClientOptions.builder().pingInterval(Duration.ofMillis(100)).build();
        ClientOptions b = a.mutate().pongTimeout(Duration.ofMillis(200)).autoReconnect(false).build();
        assertEquals(Duration.ofMillis(100), b.pingInterval());
        assertEquals(Duration.ofMillis(200), b.pongTimeout());
        assertFalse(b.autoReconnect());
        assertEquals(ClientOptions.DEFAULT_PONG_TIMEOUT, a.pongTimeout());
        assertTrue(a.autoReconnect());
    }

    @Test
    void badValuesAreRefusedNamingTheOption() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ClientOptions.builder().pingInterval(Duration.ZERO).build());
        assertTrue(e.getMessage().startsWith("pingInterval"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ClientOptions.builder()
                .reconnectBaseDelay(Duration.ofSeconds(5)).reconnectMaxDelay(Duration.ofSeconds(1)).build());
        assertTrue(e.getMessage().startsWith("reconnectMaxDelay"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ClientOptions.builder().reconnectJitter(1.5).build());
        assertTrue(e.getMessage().startsWith("reconnectJitter"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ClientOptions.builder().reconnectJitter(Double.NaN).build());
        assertTrue(e.getMessage().startsWith("reconnectJitter"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ClientOptions.builder().maxMessageBytes(10).build());
        assertTrue(e.getMessage().startsWith("maxMessageBytes"), e.getMessage());
        assertThrows(NullPointerException.class, () -> ClientOptions.builder().pongTimeout(null).build());
    }
}
