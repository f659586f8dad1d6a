package io.herald.hub;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EnvelopeParserTest {
    private static final EnvelopeParser PARSER = new EnvelopeParser();
    private static final String OK = "{\"topic\":\"share:s1\",\"event_type\":\"change\"}";

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static Envelope one(String json) throws EnvelopeException {
        List<Envelope> all = PARSER.parseRequest(utf8(json));
        assertEquals(1, all.size());
        Envelope viaRedis = PARSER.parseOne(utf8(json));
        assertArrayEquals(all.get(0).data(), viaRedis.data(), "HTTP and Redis ingress read data alike");
        return all.get(0);
    }

    /** The data bytes when {@code raw} is written as data, with {@code after} following it. */
    private static String dataOf(String raw, String after) throws EnvelopeException {
        byte[] data = one("{\"topic\":\"share:s1\",\"event_type\":\"e\",\"data\":" + raw + after).data();
        return new String(data, StandardCharsets.UTF_8);
    }

    private static EnvelopeException badRequest(String json) {
        EnvelopeException e = assertThrows(EnvelopeException.class, () -> PARSER.parseRequest(utf8(json)));
        assertFalse(e.tooLarge(), e.getMessage());
        return e;
    }

    /** A batch whose third event is {@code bad}: the error must name events[2]. */
    private static void thirdEventRefused(String bad) {
        String msg = badRequest("{\"events\":[" + OK + "," + OK + "," + bad + "]}").getMessage();
        assertTrue(msg.startsWith("events[2]: "), msg);
    }

    /** An envelope of exactly {@code size} bytes. */
    private static byte[] envelopeOfSize(int size) {
        String head = "{\"topic\":\"share:s1\",\"event_type\":\"e\",\"data\":\"";
        String tail = "\"}";
        return utf8(head + "x".repeat(size - head.length() - tail.length()) + tail);
    }

    // §3: data is any JSON value and reaches clients unchanged (object, odd whitespace kept)
    @Test
    void objectDataIsVerbatim() throws Exception {
        String raw = "{ \"id\" :\t\"f1\",\n  \"n\":[1 , 2],\"o\":{} }";
        assertEquals(raw, dataOf(raw, "}"));
        assertEquals(raw, dataOf(raw, " \n,\"share_id\":\"s9\"}"));
    }

    // §3: data unchanged: array
    @Test
    void arrayDataIsVerbatim() throws Exception {
        assertEquals("[1,\"two\", [3], {\"four\":4} ,null]", dataOf("[1,\"two\", [3], {\"four\":4} ,null]", "}"));
    }

    // §3: data unchanged: string with escapes and non-ASCII, byte offsets after multi-byte text
    @Test
    void stringDataIsVerbatim() throws Exception {
        String raw = "\"a \\\"q\\\" \\n \\u00e9 é 😀 \\\\\"";
        assertEquals(raw, dataOf(raw, "}"));
        String json = "{\"note\":\"ünïcödé 😀😀\",\"topic\":\"share:s1\",\"event_type\":\"é\",\"data\":" + raw + ",\"x\":1}";
        assertEquals(raw, new String(one(json).data(), StandardCharsets.UTF_8));
    }

    // §3: data unchanged: integers right before } and ,
    @Test
    void integerDataIsVerbatim() throws Exception {
        assertEquals("42", dataOf("42", "}"));
        assertEquals("-7", dataOf("-7", ",\"share_id\":\"s2\"}"));
        assertEquals("12345678901234567890123", dataOf("12345678901234567890123", "}"));
    }

    // §3: data unchanged: a float keeps its spelling
    @Test
    void floatDataIsVerbatim() throws Exception {
        assertEquals("1.50e3", dataOf("1.50e3", "}"));
        assertEquals("-0.0", dataOf("-0.0", ",\"x\":1}"));
    }

    // §3: data unchanged: literals
    @Test
    void literalDataIsVerbatim() throws Exception {
        assertEquals("true", dataOf("true", "}"));
        assertEquals("false", dataOf("false", ",\"x\":1}"));
        assertEquals("null", dataOf("null", "}"));
    }

    // §3: data unchanged: deep nesting
    @Test
    void nestedDataIsVerbatim() throws Exception {
        String raw = "{\"a\":[{\"b\":[[{\"c\":{\"d\":[1.0,true,\"}\"]}}]]}]}";
        assertEquals(raw, dataOf(raw, "}"));
    }

    // §3: data is optional
    @Test
    void absentDataIsNull() throws Exception {
        assertNull(one(OK).data());
    }

    // §3: share_id defaults to the id of a share: topic
    @Test
    void shareIdDefaultsFromShareTopic() throws Exception {
        Envelope e = one(OK);
        assertEquals(Topic.share("s1"), e.topic());
        assertEquals("change", e.eventType());
        assertEquals("s1", e.shareId());
        assertNull(e.deviceId());
    }

    // §3: device_id defaults to the id of a device: topic; an explicit share_id is kept
    @Test
    void deviceIdDefaultsFromDeviceTopic() throws Exception {
        Envelope e = one("{\"topic\":\"device:d1\",\"event_type\":\"sync_preference_updated\",\"share_id\":\"s7\"}");
        assertEquals("d1", e.deviceId());
        assertEquals("s7", e.shareId());
    }

    // §3: explicit ids win over the topic's
    @Test
    void explicitIdsWin() throws Exception {
        Envelope e = one("{\"topic\":\"share:s1\",\"event_type\":\"e\",\"share_id\":\"s2\",\"device_id\":\"d2\"}");
        assertEquals("s2", e.shareId());
        assertEquals("d2", e.deviceId());
    }

    // §3: unknown fields are ignored, whatever their value
    @Test
    void unknownFieldsAreIgnored() throws Exception {
        Envelope e = one("{\"v\":{\"topic\":\"user:x\"},\"topic\":\"broadcast\",\"z\":[1,{\"a\":null}],"
                + "\"event_type\":\"on_new_release\",\"n\":1.5,\"data\":{}}");
        assertEquals(Topic.BROADCAST, e.topic());
        assertEquals("on_new_release", e.eventType());
        assertEquals("{}", new String(e.data(), StandardCharsets.UTF_8));
    }

    // §3: a batch is returned whole and in order
    @Test
    void batchKeepsOrder() throws Exception {
        List<Envelope> all = PARSER.parseRequest(utf8("{\"events\":[" + OK + ","
                + "{\"topic\":\"user:u1\",\"event_type\":\"two\",\"data\":2},"
                + "{\"topic\":\"channel:c:1\",\"event_type\":\"three\"}]}"));
        assertEquals(List.of("change", "two", "three"), all.stream().map(Envelope::eventType).toList());
        assertEquals(List.of("share:s1", "user:u1", "channel:c:1"), all.stream().map(e -> e.topic().name()).toList());
        assertEquals("2", new String(all.get(1).data(), StandardCharsets.UTF_8));
    }

    // §3: an envelope is a JSON object
    @ParameterizedTest
    @ValueSource(strings = {"[]", "\"x\"", "42", "null", ""})
    void nonObjectBodyIsRefused(String body) {
        badRequest(body);
        assertThrows(EnvelopeException.class, () -> PARSER.parseOne(utf8(body)));
    }

    // §3: a batch event must be an object
    @Test
    void nonObjectEventIsNamed() {
        thirdEventRefused("[1]");
    }

    // §3: topic is required
    @Test
    void missingTopicIsNamed() {
        thirdEventRefused("{\"event_type\":\"e\"}");
    }

    // §3: topics are share:/device:/user:/channel:{1-200 allowed chars} or broadcast
    @ParameterizedTest
    @ValueSource(strings = {"share:", "share:a b", "nope:x", "", "Share:x", "broadcast:x"})
    void badTopicIsNamed(String topic) {
        thirdEventRefused("{\"topic\":\"" + topic + "\",\"event_type\":\"e\"}");
    }

    // §3: topic must be a string
    @Test
    void nonStringTopicIsNamed() {
        thirdEventRefused("{\"topic\":[\"share:s1\"],\"event_type\":\"e\"}");
    }

    // §3: event_type is required, a non-empty string
    @ParameterizedTest
    @ValueSource(strings = {"", ",\"event_type\":\"\"", ",\"event_type\":5", ",\"event_type\":null", ",\"event_type\":{}"})
    void badEventTypeIsNamed(String field) {
        thirdEventRefused("{\"topic\":\"share:s1\"" + field + "}");
    }

    // §3: share_id is a string
    @Test
    void nonStringShareIdIsNamed() {
        thirdEventRefused("{\"topic\":\"share:s1\",\"event_type\":\"e\",\"share_id\":7}");
    }

    // §3: 400 names the first bad event, also when it is not valid JSON
    @Test
    void malformedEventIsNamed() {
        thirdEventRefused("{\"topic\":\"share:s1\",\"event_type\":}");
    }

    // §3: malformed JSON is a 400
    @ParameterizedTest
    @ValueSource(strings = {"{", "{\"topic\":\"share:s1\",\"event_type\":\"e\"", "{\"topic\" \"share:s1\"}",
            "{\"topic\":\"share:s1\",\"event_type\":\"e\",\"data\":{\"a\":}}", "{'topic':'share:s1'}"})
    void malformedJsonIsRefused(String body) {
        badRequest(body);
    }

    // §3: one envelope, nothing after it
    @Test
    void trailingContentIsRefused() {
        assertTrue(badRequest(OK + " {}").getMessage().contains("trailing"));
        assertTrue(badRequest("{\"events\":[" + OK + "]} x").getMessage().length() > 0);
        EnvelopeException e = assertThrows(EnvelopeException.class, () -> PARSER.parseOne(utf8(OK + "x")));
        assertFalse(e.tooLarge());
    }

    // §3: at most 1000 events
    @Test
    void thousandEventsAreAccepted() throws Exception {
        String body = "{\"events\":[" + String.join(",", java.util.Collections.nCopies(1000, OK)) + "]}";
        assertEquals(1000, PARSER.parseRequest(utf8(body)).size());
    }

    // §3: 1001 events is too large (413)
    @Test
    void thousandAndOneEventsAreTooLarge() {
        String body = "{\"events\":[" + String.join(",", java.util.Collections.nCopies(1001, OK)) + "]}";
        assertTrue(assertThrows(EnvelopeException.class, () -> PARSER.parseRequest(utf8(body))).tooLarge());
    }

    // §3: an empty batch is a 400
    @Test
    void emptyBatchIsRefused() {
        badRequest("{\"events\":[]}");
    }

    // §3: an envelope is at most 1 MiB: exactly 1 MiB passes
    @Test
    void envelopeOfOneMebibyteIsAccepted() throws Exception {
        byte[] body = envelopeOfSize(EnvelopeParser.MAX_ENVELOPE_BYTES);
        assertEquals(1 << 20, body.length);
        assertEquals(1, PARSER.parseRequest(body).size());
        assertEquals("s1", PARSER.parseOne(body).shareId());
    }

    // §3: an envelope over 1 MiB is too large (413), alone, in a batch, or through Redis
    @Test
    void envelopeOverOneMebibyteIsTooLarge() {
        byte[] body = envelopeOfSize(EnvelopeParser.MAX_ENVELOPE_BYTES + 1);
        assertTrue(assertThrows(EnvelopeException.class, () -> PARSER.parseRequest(body)).tooLarge());
        assertTrue(assertThrows(EnvelopeException.class, () -> PARSER.parseOne(body)).tooLarge());
        byte[] batch = utf8("{\"events\":[" + OK + "," + new String(body, StandardCharsets.UTF_8) + "]}");
        EnvelopeException e = assertThrows(EnvelopeException.class, () -> PARSER.parseRequest(batch));
        assertTrue(e.tooLarge());
        assertTrue(e.getMessage().startsWith("events[1]"), e.getMessage());
    }

    // §3: a batch body is at most 4 MiB
    @Test
    void bodyOverFourMebibytesIsTooLarge() {
        String big = new String(envelopeOfSize(1 << 19), StandardCharsets.UTF_8);
        String body = "{\"events\":[" + String.join(",", java.util.Collections.nCopies(9, big)) + "]}";
        assertTrue(body.length() > 4 << 20);
        assertTrue(assertThrows(EnvelopeException.class, () -> PARSER.parseRequest(utf8(body))).tooLarge());
    }

    /** An envelope whose data is {@code data}: the outer object is one level of nesting. */
    private static String withData(String data) {
        return "{\"topic\":\"share:s1\",\"event_type\":\"e\",\"data\":" + data + "}";
    }

    private static String nested(int levels) {
        return "[".repeat(levels) + "]".repeat(levels);
    }

    /** §9: one envelope per parser limit, each just past it. */
    static Stream<Arguments> pastAParserLimit() {
        int depth = EnvelopeParser.MAX_NESTING_DEPTH;
        String longName = "n".repeat(EnvelopeParser.MAX_NAME_LENGTH + 1);
        return Stream.of(
                Arguments.of("nesting depth 70", withData(nested(69))),
                Arguments.of("nesting one past the limit", withData(nested(depth))),
                Arguments.of("a 1,200-digit number", withData("1".repeat(1200))),
                Arguments.of("a number one digit past the limit", withData("1".repeat(EnvelopeParser.MAX_NUMBER_LENGTH + 1))),
                Arguments.of("a long fraction inside data", withData("{\"x\":[0." + "5".repeat(1200) + "]}")),
                Arguments.of("a 60,000-character field name", "{\"" + "n".repeat(60_000) + "\":1," + OK.substring(1)),
                Arguments.of("a name one past the limit inside data", withData("{\"" + longName + "\":1}")));
    }

    // §9: JSON that breaks a parser limit is a 400 (invalid_request) naming the limit, over HTTP and Redis
    // alike, never an unchecked exception (a 500); jackson reports these without a location
    @ParameterizedTest(name = "{0}")
    @MethodSource("pastAParserLimit")
    void jsonPastAParserLimitIsABadRequest(String what, String body) {
        assertTrue(badRequest(body).getMessage().startsWith("JSON breaks a parser limit: "), what);
        EnvelopeException viaRedis = assertThrows(EnvelopeException.class, () -> PARSER.parseOne(utf8(body)));
        assertFalse(viaRedis.tooLarge(), what);
        assertTrue(viaRedis.getMessage().startsWith("JSON breaks a parser limit: "), viaRedis.getMessage());
    }

    // §9: the message says which limit and its bound, and never echoes the input
    @Test
    void theParserLimitMessageNamesTheBound() {
        String msg = badRequest(withData(nested(69))).getMessage();
        assertTrue(msg.contains("nesting depth") && msg.contains("(" + EnvelopeParser.MAX_NESTING_DEPTH + ")"), msg);
        assertTrue(msg.length() < 128, msg);
    }

    // §9 and §3: in a batch the first event past a limit is named
    @Test
    void aParserLimitInABatchNamesTheEvent() {
        thirdEventRefused(withData(nested(69)));
        String msg = badRequest("{\"events\":[" + OK + "," + withData("1".repeat(1200)) + "]}").getMessage();
        assertTrue(msg.startsWith("events[1]: JSON breaks a parser limit: "), msg);
    }

    // §9: right at each limit is still accepted
    @Test
    void jsonAtTheParserLimitsIsAccepted() throws Exception {
        String data = nested(EnvelopeParser.MAX_NESTING_DEPTH - 1);
        assertEquals(data, dataOf(data, "}"));
        String number = "1".repeat(EnvelopeParser.MAX_NUMBER_LENGTH);
        assertEquals(number, dataOf(number, "}"));
        String named = "{\"" + "n".repeat(EnvelopeParser.MAX_NAME_LENGTH) + "\":1}";
        assertEquals(named, dataOf(named, "}"));
    }
}
