package io.herald.loadtest.client;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class FrameScanTest {
    private static ByteBuf text(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.UTF_8);
    }

    @Test
    void readsSeqAndTOfEveryDialectsEventFrame() {
        String[] frames = {
            "{\"type\":\"loadtest\",\"share_id\":\"t3\",\"data\":{\"seq\":42,\"t\":123456789,\"pad\":\"xxxx\"}}",
            "{\"event_type\":\"change\",\"share_id\":\"t3\",\"data\":{\"seq\":42,\"t\":123456789,\"pad\":\"\"}}",
            "42[\"loadtest\",{\"seq\":42,\"t\":123456789,\"pad\":\"xx\"}]",
        };
        for (String f : frames) {
            ByteBuf b = text(f);
            try {
                FrameScan.Event e = FrameScan.event(b);
                assertEquals(42, e.seq(), f);
                assertEquals(123456789, e.sentAt(), f);
            } finally {
                b.release();
            }
        }
    }

    @Test
    void controlFramesAreNoEvents() {
        ByteBuf b = text("{\"type\":\"subscribed\",\"share_id\":\"t0\"}");
        try {
            assertNull(FrameScan.event(b));
            assertEquals(Inbound.SUBSCRIBED, Dialect.REALTIME.classify(b));
        } finally {
            b.release();
        }
    }

    @Test
    void anEventWithoutNumbersIsAProtocolError() {
        ByteBuf b = text("{\"data\":{\"seq\":\"one\",\"t\":1}}");
        try {
            assertThrows(IllegalArgumentException.class, () -> FrameScan.event(b));
        } finally {
            b.release();
        }
    }

    @Test
    void scansFromTheReaderIndex() {
        ByteBuf b = text("{\"seq\":1,\"t\":2}{\"seq\":7,\"t\":8}");
        try {
            b.skipBytes(15);
            assertEquals(7, FrameScan.event(b).seq());
        } finally {
            b.release();
        }
    }

    @Test
    void classifiesSocketIoPackets() {
        String[][] cases = {
            {"0{\"sid\":\"a\",\"pingInterval\":25000}", "OPEN"},
            {"40{\"sid\":\"b\"}", "SUBSCRIBED"},
            {"2", "PING"},
            {"42[\"force_sync\"]", "FORCE_SYNC"},
            {"44{\"message\":\"unauthorized\"}", "ERROR"},
            {"3", "OTHER"},
        };
        for (String[] c : cases) {
            ByteBuf b = text(c[0]);
            try {
                assertEquals(Inbound.valueOf(c[1]), Dialect.SOCKETIO.classify(b), c[0]);
            } finally {
                b.release();
            }
        }
        assertEquals("40", Dialect.SOCKETIO.reply(Inbound.OPEN));
        assertEquals("3", Dialect.SOCKETIO.reply(Inbound.PING));
    }

    /** §11: the position fields the chaos clients resume from. */
    @Test
    void readsPositionsAndRecovery() {
        ByteBuf event = text("{\"type\":\"loadtest\",\"share_id\":\"t3\",\"data\":{\"seq\":4,\"t\":1,\"pad\":\"xx\"},\"offset\":17}");
        ByteBuf plain = text("{\"type\":\"loadtest\",\"share_id\":\"t3\",\"data\":{\"seq\":4,\"t\":1,\"pad\":\"xx\"}}");
        ByteBuf subscribed = text("{\"type\":\"subscribed\",\"share_id\":\"t3\",\"epoch\":\"Ab9\",\"offset\":12,\"recovered\":true}");
        ByteBuf sync = text("{\"type\":\"subscribed\",\"shares\":[\"t3\"],\"positions\":{\"t3\":{\"epoch\":\"Ab9\",\"offset\":3}},"
                + "\"recovered\":[\"t3\"]}");
        ByteBuf notRecovered = text("{\"type\":\"subscribed\",\"data\":{\"channel\":\"t3\",\"epoch\":\"Ab9\",\"offset\":12,\"recovered\":false}}");
        try {
            assertEquals(17, FrameScan.tailOffset(event));
            assertEquals(-1, FrameScan.tailOffset(plain));
            assertEquals("Ab9", FrameScan.epoch(subscribed));
            assertEquals(12, FrameScan.offset(subscribed));
            org.junit.jupiter.api.Assertions.assertTrue(FrameScan.recovered(subscribed));
            org.junit.jupiter.api.Assertions.assertTrue(FrameScan.recovered(sync));
            assertEquals(3, FrameScan.offset(sync));
            org.junit.jupiter.api.Assertions.assertFalse(FrameScan.recovered(notRecovered));
            assertNull(FrameScan.epoch(plain));
        } finally {
            for (ByteBuf b : new ByteBuf[] {event, plain, subscribed, sync, notRecovered}) {
                b.release();
            }
        }
    }
}
