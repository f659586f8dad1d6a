package io.herald.protocol.socketio;

import org.junit.jupiter.api.Test;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * §12: the messages {@code @socket.io/redis-adapter} 8.3.0 and {@code @socket.io/redis-emitter} 5.1.0 publish, as
 * captured from a real Redis (hex below), and what Herald makes of them.
 */
class AdapterBroadcastTest {
    static AdapterBroadcast decode(String hex) throws Exception {
        return AdapterBroadcast.decode(HexFormat.of().parseHex(hex));
    }

    static String data(AdapterBroadcast b) {
        return new String(b.data(), StandardCharsets.UTF_8);
    }

    @Test
    void theClassicAdaptersEmitToEveryone() throws Exception {
        // io.emit('ev', {hello: 'world'}) on socket.io#/#
        AdapterBroadcast b = decode("93a645585635444683a47479706502a46461746192a2657681a568656c6c6fa5776f726c64"
                + "a36e7370a12f83a5726f6f6d7390a665786365707490a5666c61677380");
        assertEquals("/", b.namespace());
        assertEquals(List.of(), b.rooms());
        assertEquals(List.of(), b.except());
        assertEquals("[\"ev\",{\"hello\":\"world\"}]", data(b));
    }

    @Test
    void volatileAndCompressFlagsStillDeliver() throws Exception {
        assertNotNull(decode("93a643685257515683a47479706502a46461746192a2657681a568656c6c6fa5776f726c64a36e7370a12f"
                + "83a5726f6f6d7390a665786365707490a5666c61677381a8766f6c6174696c65c3"));
    }

    @Test
    void theEmittersRoomsAndExceptInItsOwnKeyOrder() throws Exception {
        // emitter.to(['r1','r2']).except('r3').emit('ev', 1)
        AdapterBroadcast b = decode("93a7656d697474657283a47479706502a46461746192a2657601a36e7370a12f83a5726f6f6d7392"
                + "a27231a27232a5666c61677380a665786365707491a27233");
        assertEquals(List.of("r1", "r2"), b.rooms());
        assertEquals(List.of("r3"), b.except());
        assertEquals("[\"ev\",1]", data(b));
    }

    @Test
    void anotherNamespaceIsNamedSoTheIngressCanSkipIt() throws Exception {
        AdapterBroadcast b = decode("93a7656d697474657283a47479706502a46461746192a2657601a36e7370a62f61646d696e83a5726f"
                + "6f6d7390a5666c61677382a8766f6c6174696c65c3a8636f6d7072657373c3a665786365707490");
        assertEquals("/admin", b.namespace());
    }

    @Test
    void binaryAndAcknowledgedBroadcastsAreNotDelivered() throws Exception {
        // emitter.emit('ev', Buffer[1,2,3]): a text frame cannot carry it
        assertNull(decode("93a7656d697474657283a47479706502a46461746192a26576c403010203a36e7370a12f83a5726f6f6d7390"
                + "a5666c61677380a665786365707490"));
        // io.timeout(1000).emit(...): the request channel's form; acks would wait for Herald
        assertNull(decode("85a3756964a6436852575156a9726571756573744964a678707553544ca47479706507a67061636b657483a474"
                + "79706502a46461746192a2657681a568656c6c6fa5776f726c64a36e7370a12fa46f70747383a5726f6f6d7390a66578636570"
                + "7490a5666c61677381a774696d656f7574cd03e8"));
        // serverSideEmit (JSON on the request channel)
        assertNull(AdapterBroadcast.decode("{\"uid\":\"ChRWQV\",\"type\":6,\"data\":[\"sse\",{\"hello\":\"world\"}]}"
                .getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void theShardedAdaptersJson() throws Exception {
        AdapterBroadcast b = AdapterBroadcast.decode(("{\"type\":3,\"data\":{\"packet\":{\"type\":2,\"data\":[\"ev\","
                + "{\"hello\":\"world\"}]},\"opts\":{\"rooms\":[\"room1\"],\"except\":[\"x\"],\"flags\":{}}},"
                + "\"uid\":\"07687e68420ff232\",\"nsp\":\"/\"}").getBytes(StandardCharsets.UTF_8));
        assertEquals(List.of("room1"), b.rooms());
        assertEquals(List.of("x"), b.except());
        assertEquals("[\"ev\",{\"hello\":\"world\"}]", data(b));
        assertNull(AdapterBroadcast.decode(("{\"type\":3,\"data\":{\"packet\":{\"type\":2,\"data\":[\"ev\"]},\"requestId\":"
                + "\"8ffb\",\"opts\":{\"rooms\":[],\"except\":[],\"flags\":{\"timeout\":1000}}},\"uid\":\"u\",\"nsp\":\"/\"}")
                .getBytes(StandardCharsets.UTF_8)), "with acks");
        assertNull(AdapterBroadcast.decode("{\"type\":11,\"data\":{\"requestId\":\"r\",\"clientCount\":1},\"uid\":\"u\"}"
                .getBytes(StandardCharsets.UTF_8)), "a response");
    }

    @Test
    void datesNullsFloatsAndNumericRoomsAsJavaScriptWouldSendThem() throws Exception {
        MessageBufferPacker p = MessagePack.newDefaultBufferPacker();
        p.packArrayHeader(3).packString("uid");
        p.packMapHeader(2).packString("type").packInt(2).packString("data").packArrayHeader(5)
                .packString("ev").packTimestamp(Instant.parse("2026-12-01T10:00:00.123Z")).packNil().packDouble(1.5)
                .packDouble(Double.NaN);
        p.packMapHeader(2).packString("rooms").packArrayHeader(1).packInt(42).packString("except").packArrayHeader(0);
        AdapterBroadcast b = AdapterBroadcast.decode(p.toByteArray());
        assertEquals("[\"ev\",\"2026-12-01T10:00:00.123Z\",null,1.5,null]", data(b));
        assertEquals("/", b.namespace(), "no nsp is the default namespace");
        assertEquals(List.of("42"), b.rooms());
    }

    @Test
    void hostileMessagesAreUnreadableNotACrash() throws Exception {
        for (String hex : List.of("", "c1", "92a1", "93a175", "9301c0c0", "ff", "7b", "7b7d7d")) {
            byte[] bytes = HexFormat.of().parseHex(hex);
            try {
                AdapterBroadcast.decode(bytes);
            } catch (AdapterBroadcast.Unreadable expected) {
                // fine: counted and dropped
            }
        }
        MessageBufferPacker deep = MessagePack.newDefaultBufferPacker();
        deep.packArrayHeader(3).packString("u").packMapHeader(2).packString("type").packInt(2).packString("data");
        deep.packArrayHeader(2).packString("ev");
        for (int i = 0; i < 1000; i++) {
            deep.packArrayHeader(1);
        }
        deep.packNil();
        deep.packMapHeader(0);
        assertThrows(AdapterBroadcast.Unreadable.class, () -> AdapterBroadcast.decode(deep.toByteArray()));
        assertThrows(AdapterBroadcast.Unreadable.class, () -> AdapterBroadcast.decode(new byte[0]));
    }
}
