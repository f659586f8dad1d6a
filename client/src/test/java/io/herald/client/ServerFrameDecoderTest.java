package io.herald.client;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Frames of each dialect into {@link ServerMessage}s; every input frame released. */
class ServerFrameDecoderTest {
    private static ServerMessage decode(ClientDialect dialect, String text) {
        EmbeddedChannel ch = new EmbeddedChannel(new ServerFrameDecoder(dialect));
        ByteBuf content = Unpooled.copiedBuffer(text, StandardCharsets.UTF_8);
        TextWebSocketFrame frame = new TextWebSocketFrame(content);
        ch.writeInbound(frame);
        assertEquals(0, content.refCnt(), "the decoder releases what it read");
        ServerMessage m = ch.readInbound();
        assertNull(ch.readInbound());
        assertFalse(ch.finishAndReleaseAll());
        return m;
    }

    private static ServerMessage realtime(String text) {
        return decode(new RealtimeDialect(), text);
    }

    @Test
    void realtimeFramesOfSection5() {
        assertEquals(ServerMessage.CONNECTED,
                realtime("{\"type\":\"connected\",\"user_id\":\"alice\",\"timestamp\":\"2026-11-22T10:00:00.000Z\"}"));
        assertEquals(new ServerMessage.Subscribed(List.of("s1"), null), realtime("{\"type\":\"subscribed\",\"share_id\":\"s1\"}"));
        assertEquals(new ServerMessage.Unsubscribed("s1", null), realtime("{\"type\":\"unsubscribed\",\"share_id\":\"s1\"}"));
        assertEquals(ServerMessage.PONG, realtime("{\"type\":\"pong\"}"));
        assertEquals(new ServerMessage.Error(new ServerError("forbidden", "s9", "share not in token", null)),
                realtime("{\"type\":\"error\",\"code\":\"forbidden\",\"share_id\":\"s9\",\"message\":\"share not in token\"}"));
        assertEquals(new ServerMessage.Event(new HeraldEvent("file_created", "s1", null, "{\"id\":\"f1\",\"name\":\"a.txt\"}")),
                realtime("{\"type\":\"file_created\",\"share_id\":\"s1\",\"data\":{\"id\":\"f1\",\"name\":\"a.txt\"}}"));
        // user:{sub} and broadcast events carry no share_id (§5); §8.3 force_sync is an event
        assertEquals(new ServerMessage.Event(new HeraldEvent("on_config_update", null, null, "[1,2]")),
                realtime("{\"type\":\"on_config_update\",\"data\":[1,2]}"));
        assertEquals(new ServerMessage.Event(new HeraldEvent("force_sync", "s1", null, null)),
                realtime("{\"type\":\"force_sync\",\"share_id\":\"s1\"}"));
    }

    @Test
    void dataIsTheExactTextTheServerSentWhateverItsKind() {
        String[] values = {
                "{\"a\":[1,2,{\"b\":\"}\"}],\"c\":null}",
                "{ \"spaced\" : [ 1 , 2 ] }",
                "12.5e3", "-7", "0", "true", "false", "null", "[]", "{}",
                "\"h\\\"é€😀\\u0041\"",
        };
        for (String v : values) {
            for (String frame : new String[] {
                    "{\"type\":\"x\",\"data\":" + v + "}",
                    "{\"data\":" + v + ",\"type\":\"x\",\"share_id\":\"s\"}",
                    "{ \"type\" : \"x\" , \"data\" :\n " + v + " \n}"}) {
                HeraldEvent e = ((ServerMessage.Event) realtime(frame)).event();
                assertEquals(v, e.data(), frame);
            }
        }
        assertNull(((ServerMessage.Event) realtime("{\"type\":\"x\"}")).event().data(), "absent data stays absent");
    }

    @Test
    void syncFramesOfSection4() {
        ClientDialect sync = new SyncDialect("d1");
        assertEquals(ServerMessage.PONG, decode(sync, "{\"type\":\"pong\"}"));
        assertEquals(new ServerMessage.Subscribed(List.of("s1", "s2"), null),
                decode(sync, "{\"type\":\"subscribed\",\"shares\":[\"s1\",\"s2\"]}"));
        assertEquals(new ServerMessage.Subscribed(List.of(), null), decode(sync, "{\"type\":\"subscribed\",\"shares\":[]}"));
        assertEquals(new ServerMessage.Event(new HeraldEvent("change", "s1", null, "{\"rev\":3}")),
                decode(sync, "{\"event_type\":\"change\",\"share_id\":\"s1\",\"data\":{\"rev\":3}}"));
        assertEquals(new ServerMessage.Event(new HeraldEvent("sync_preference_updated", "s1", null, null)),
                decode(sync, "{\"event_type\":\"sync_preference_updated\",\"share_id\":\"s1\",\"device_id\":\"d1\"}"));
        assertEquals(new ServerMessage.Event(new HeraldEvent("force_sync", null, null, null)),
                decode(sync, "{\"event_type\":\"force_sync\"}"));
    }

    @Test
    void channelsFramesOfSection6() {
        ClientDialect channels = new ChannelsDialect();
        assertEquals(ServerMessage.CONNECTED,
                decode(channels, "{\"type\":\"connected\",\"data\":{\"user_id\":\"carol\",\"expires_at\":\"x\"}}"));
        assertEquals(ServerMessage.PONG, decode(channels, "{\"type\":\"pong\",\"data\":{}}"));
        assertEquals(new ServerMessage.Subscribed(List.of("conversation:conv-123"), "7"),
                decode(channels, "{\"type\":\"subscribed\",\"id\":7,\"data\":{\"channel\":\"conversation:conv-123\"}}"));
        assertEquals(new ServerMessage.Unsubscribed("c1", null),
                decode(channels, "{\"type\":\"unsubscribed\",\"data\":{\"channel\":\"c1\"}}"));
        assertEquals(new ServerMessage.Refreshed("a"), decode(channels, "{\"type\":\"refreshed\",\"id\":\"a\",\"data\":{\"expires_at\":\"x\"}}"));
        assertEquals(new ServerMessage.Error(new ServerError("unauthorized", null, "channel not allowed", "8")),
                decode(channels, "{\"type\":\"error\",\"id\":8,\"data\":{\"code\":\"unauthorized\",\"message\":\"channel not allowed\"}}"));
        assertEquals(new ServerMessage.Event(new HeraldEvent("message", null, "c1", "{\"text\":\"hi\"}")),
                decode(channels, "{\"type\":\"message\",\"channel\":\"c1\",\"data\":{\"text\":\"hi\"},\"timestamp\":\"t\"}"));
        assertEquals(new ServerMessage.Event(new HeraldEvent("force_sync", null, "c1", null)),
                decode(channels, "{\"type\":\"force_sync\",\"channel\":\"c1\"}"));
    }

    @Test
    void malformedAndTypelessFramesAreDroppedNotFatal() {
        for (String bad : new String[] {"not json", "[1]", "{\"type\":\"x\"} trailing", "{\"type\":", "", "{\"no_type\":1}"}) {
            EmbeddedChannel ch = new EmbeddedChannel(new ServerFrameDecoder(new RealtimeDialect()));
            ch.writeInbound(new TextWebSocketFrame(bad));
            assertNull(ch.readInbound(), bad);
            assertFalse(ch.finishAndReleaseAll());
        }
    }

    @Test
    void closeFramesBecomeValuesAndBinaryFramesAreDropped() {
        EmbeddedChannel ch = new EmbeddedChannel(new ServerFrameDecoder(new RealtimeDialect()));
        CloseWebSocketFrame close = new CloseWebSocketFrame(4401, "unauthorized");
        BinaryWebSocketFrame binary = new BinaryWebSocketFrame(Unpooled.copiedBuffer(new byte[] {1, 2}));
        ch.writeInbound(close, binary);
        assertEquals(new ServerMessage.Close(4401, "unauthorized"), ch.readInbound());
        assertNull(ch.readInbound());
        assertEquals(0, close.refCnt());
        assertEquals(0, binary.refCnt());
        assertFalse(ch.finishAndReleaseAll());
    }
}
