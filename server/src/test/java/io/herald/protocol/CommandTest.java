package io.herald.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class CommandTest {
    private static Command parse(String json) throws Command.Malformed {
        ByteBuf buf = Unpooled.copiedBuffer(json, StandardCharsets.UTF_8);
        try {
            Command c = Command.parse(buf);
            assertEquals(0, buf.readerIndex(), "parse leaves the buffer as it was");
            assertEquals(1, buf.refCnt(), "parse does not release");
            return c;
        } finally {
            buf.release();
        }
    }

    private static void malformed(String json) {
        ByteBuf buf = Unpooled.copiedBuffer(json, StandardCharsets.UTF_8);
        try {
            assertThrows(Command.Malformed.class, () -> Command.parse(buf));
        } finally {
            buf.release();
        }
    }

    // §5 / §6: top-level string fields
    @Test
    void readsTopLevelStrings() throws Exception {
        Command c = parse("{\"action\":\"subscribe\",\"share_id\":\"s1\",\"note\":\"é\\n\\\"\"}");
        assertEquals("subscribe", c.get("action"));
        assertEquals("s1", c.get("share_id"));
        assertEquals("é\n\"", c.get("note"));
        assertNull(c.get("missing"));
    }

    // §6: a field that is not a string reads as absent (answered as a missing field)
    @Test
    void nonStringFieldsReadAsAbsent() throws Exception {
        Command c = parse("{\"type\":5,\"channel\":{\"x\":\"y\"},\"list\":[\"a\"],\"flag\":true,\"n\":null}");
        assertNull(c.get("type"));
        assertNull(c.get("channel"));
        assertNull(c.get("list"));
        assertNull(c.get("flag"));
        assertNull(c.get("n"));
        assertNull(c.get("x"), "nested fields do not leak to the top level");
    }

    // §6: string fields of the nested data object
    @Test
    void readsDataFields() throws Exception {
        Command c = parse("{\"type\":\"subscribe\",\"data\":{\"channel\":\"conversation:conv-123\",\"deep\":{\"token\":\"t\"},"
                + "\"n\":1},\"after\":\"ok\"}");
        assertEquals("subscribe", c.get("type"));
        assertEquals("conversation:conv-123", c.data("channel"));
        assertNull(c.data("deep"));
        assertNull(c.data("token"), "only the first level of data is read");
        assertNull(c.data("n"));
        assertEquals("ok", c.get("after"));
    }

    // §6: no data object reads as no data fields
    @Test
    void missingDataReadsAsAbsent() throws Exception {
        assertNull(parse("{\"type\":\"ping\"}").data("channel"));
        assertNull(parse("{\"type\":\"ping\",\"data\":\"channel\"}").data("channel"));
    }

    // §6: a string id is echoed as a JSON string
    @Test
    void stringIdIsRawJson() throws Exception {
        assertEquals("\"req-1\"", parse("{\"type\":\"ping\",\"id\":\"req-1\"}").rawId());
        assertEquals("\"a\\\"b\\\\c\"", parse("{\"id\":\"a\\\"b\\\\c\",\"type\":\"ping\"}").rawId());
    }

    // §6: a numeric id is echoed as the same number
    @Test
    void numberIdIsRawJson() throws Exception {
        assertEquals("42", parse("{\"type\":\"ping\",\"id\":42}").rawId());
        assertEquals("-7", parse("{\"id\":-7}").rawId());
    }

    // §6: a fractional numeric id is a number too, echoed with its spelling
    @Test
    void fractionalNumberIdIsRawJson() throws Exception {
        assertEquals("1.5", parse("{\"type\":\"ping\",\"id\":1.5}").rawId());
        assertEquals("1.50e3", parse("{\"type\":\"ping\",\"id\":1.50e3}").rawId());
    }

    // §6: no id, no echo
    @Test
    void absentOrOddIdIsNull() throws Exception {
        assertNull(parse("{\"type\":\"ping\"}").rawId());
        assertNull(parse("{\"type\":\"ping\",\"id\":{\"x\":1}}").rawId());
        assertNull(parse("{\"type\":\"ping\",\"id\":null}").rawId());
    }

    // §6 invalid_request: bad JSON
    @ParameterizedTest
    @ValueSource(strings = {"", "{", "{\"type\":}", "{\"type\":\"ping\"", "{'type':'ping'}", "{\"type\":\"ping\"} x",
            "{\"a\":1}{}"})
    void malformedJsonIsMalformed(String json) {
        malformed(json);
    }

    // §6: a frame is a JSON object
    @ParameterizedTest
    @ValueSource(strings = {"[]", "[{\"type\":\"ping\"}]", "\"ping\"", "42", "null", "true"})
    void nonObjectIsMalformed(String json) {
        malformed(json);
    }

    @Test
    void idsOverOneHundredTwentyEightCharactersAreMalformed() throws Exception {
        // §8.3: Herald never echoes more than 128 characters of client input.
        assertEquals("\"" + "i".repeat(128) + "\"", parse("{\"id\":\"" + "i".repeat(128) + "\"}").rawId());
        malformed("{\"id\":\"" + "i".repeat(129) + "\"}");
        malformed("{\"id\":" + "1".repeat(129) + "}");
    }

    /** §11: realtime's one position, sync's positions keyed by share; anything else is not a position. */
    @Test
    void sinceIsOnePositionOrPositionsKeyedByShare() throws Exception {
        Command one = parse("{\"action\":\"subscribe\",\"since\":{\"epoch\":\"e\",\"offset\":4}}");
        org.junit.jupiter.api.Assertions.assertEquals(new io.herald.broker.history.History.Position("e", 4), one.since());
        Command keyed = parse("{\"type\":\"subscribe\",\"since\":{\"s1\":{\"epoch\":\"a\",\"offset\":1},"
                + "\"s2\":{\"epoch\":\"b\",\"offset\":0}}}");
        org.junit.jupiter.api.Assertions.assertNull(keyed.since());
        org.junit.jupiter.api.Assertions.assertEquals(java.util.Map.of("s1", new io.herald.broker.history.History.Position("a", 1),
                "s2", new io.herald.broker.history.History.Position("b", 0)), keyed.sinceByKey());
        org.junit.jupiter.api.Assertions.assertThrows(Command.Malformed.class,
                () -> parse("{\"type\":\"subscribe\",\"since\":{\"s1\":{\"epoch\":\"a\"}}}"));
        org.junit.jupiter.api.Assertions.assertThrows(Command.Malformed.class,
                () -> parse("{\"type\":\"subscribe\",\"since\":{\"epoch\":\"a\",\"s1\":{\"epoch\":\"a\",\"offset\":1}}}"),
                "half a position is not a position");
        Command named = parse("{\"type\":\"subscribe\",\"since\":{\"epoch\":{\"epoch\":\"a\",\"offset\":3}}}");
        org.junit.jupiter.api.Assertions.assertEquals(java.util.Map.of("epoch", new io.herald.broker.history.History.Position("a", 3)), named.sinceByKey(),
                "a share may be named epoch: its value is an object");
        StringBuilder many = new StringBuilder("{\"type\":\"subscribe\",\"since\":{");
        for (int i = 0; i <= Command.MAX_SINCE_KEYS; i++) {
            many.append(i == 0 ? "" : ",").append("\"s").append(i).append("\":{\"epoch\":\"e\",\"offset\":1}");
        }
        org.junit.jupiter.api.Assertions.assertThrows(Command.Malformed.class, () -> parse(many.append("}}").toString()),
                "a since naming more shares than any token holds is refused, not kept");
    }
}
