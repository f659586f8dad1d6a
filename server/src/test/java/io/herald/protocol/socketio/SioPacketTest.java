package io.herald.protocol.socketio;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Socket.IO v5 packets (§7) as the parser reads them, and what it refuses. */
class SioPacketTest {

    @Test
    void connectToTheMainNamespaceWithAnAuthToken() throws Exception {
        SioPacket p = SioPacket.parse("0{\"token\":\"abc\"}");
        assertEquals(SioPacket.CONNECT, p.type());
        assertEquals("/", p.namespace());
        assertEquals("abc", p.authToken());
        assertEquals(-1, p.ackId());
    }

    /** §11: what the official client sends back to recover, and only strings of a sane length. */
    @Test
    void connectCarriesTheRecoveryFields() throws Exception {
        SioPacket p = SioPacket.parse("0{\"pid\":\"p~a.1\",\"offset\":\"a.2\",\"token\":\"t\",\"recover\":true}");
        assertEquals(new SioPacket.Auth("t", true, "p~a.1", "a.2"), p.auth());
        SioPacket odd = SioPacket.parse("0{\"pid\":7,\"offset\":\"" + "o".repeat(600) + "\",\"recover\":\"yes\"}");
        assertEquals(new SioPacket.Auth(null, false, null, null), odd.auth(), "not ours: ignored");
    }

    @Test
    void connectToANamedNamespaceWithoutPayload() throws Exception {
        SioPacket p = SioPacket.parse("0/admin,");
        assertEquals(SioPacket.CONNECT, p.type());
        assertEquals("/admin", p.namespace());
        assertNull(p.authToken());
    }

    @Test
    void eventWithAckIdNameAndArguments() throws Exception {
        SioPacket p = SioPacket.parse("2/custom,12[\"message-with-ack\",1,{\"a\":[2]}]");
        assertEquals(SioPacket.EVENT, p.type());
        assertEquals("/custom", p.namespace());
        assertEquals(12, p.ackId());
        assertEquals("message-with-ack", p.eventName());
        assertEquals("1,{\"a\":[2]}", p.eventArgs());
    }

    @Test
    void binaryEventCountsItsAttachments() throws Exception {
        SioPacket p = SioPacket.parse("52-[\"message\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]");
        assertEquals(SioPacket.BINARY_EVENT, p.type());
        assertEquals(2, p.attachments());
        assertEquals("message", p.eventName());
    }

    @Test
    void disconnect() throws Exception {
        SioPacket p = SioPacket.parse("1/admin,");
        assertEquals(SioPacket.DISCONNECT, p.type());
        assertEquals("/admin", p.namespace());
    }

    @Test
    void refusesWhatIsNotAPacket() {
        for (String bad : new String[] {"", "9", "x", "2[\"unterminated\"", "5[\"no attachment count\"]",
            "2{\"event\":\"not an array\"}", "2" + "[".repeat(200) + "]".repeat(200)}) {
            assertThrows(SioPacket.Malformed.class, () -> SioPacket.parse(bad), bad.length() > 40 ? "deep nesting" : bad);
        }
    }
}
