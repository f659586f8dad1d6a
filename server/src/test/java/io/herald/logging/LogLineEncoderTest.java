package io.herald.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.slf4j.event.KeyValuePair;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** §1 {@code HERALD_LOG_FORMAT}: the two line formats, and the redaction both apply (§2, §7). */
class LogLineEncoderTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant AT = Instant.parse("2026-12-02T04:06:17.123Z");
    private final LoggerContext context = new LoggerContext();

    private LoggingEvent event(String logger, Level level, String message, Throwable thrown, Object... args) {
        LoggingEvent e = new LoggingEvent(LogLineEncoderTest.class.getName(), context.getLogger(logger), level, message,
                thrown, args);
        e.setInstant(AT);
        return e;
    }

    private static String encode(LogFormat format, LoggingEvent event) {
        LogLineEncoder encoder = new LogLineEncoder();
        encoder.use(format, "herald-1");
        return new String(encoder.encode(event), StandardCharsets.UTF_8);
    }

    private static JsonNode json(LoggingEvent event) throws Exception {
        String line = encode(LogFormat.JSON, event);
        assertTrue(line.endsWith("\n") && line.indexOf('\n') == line.length() - 1, "one line: " + line);
        return JSON.readTree(line);
    }

    @Test
    void textIsTheLineHeraldAlwaysWrote() {
        assertEquals("2026-12-02T04:06:17.123Z INFO Gateway - Herald 1.0 listening on 0.0.0.0:8080\n",
                encode(LogFormat.TEXT, event("io.herald.Gateway", Level.INFO, "Herald {} listening on {}", null,
                        "1.0", "0.0.0.0:8080")));
        LoggingEvent whole = event("io.herald.Gateway", Level.WARN, "stopped", null);
        whole.setInstant(Instant.parse("2026-12-02T04:06:17Z"));
        assertEquals("2026-12-02T04:06:17.000Z WARN Gateway - stopped\n", encode(LogFormat.TEXT, whole),
                "UTC with millis, always three digits");
    }

    @Test
    void textPutsTheConnectionIdBeforeTheMessage() {
        LoggingEvent e = event("io.herald.transport.HttpRouter", Level.DEBUG, "client closed mid-request", null);
        e.addKeyValuePair(new KeyValuePair(Logs.CONNECTION, "5f3a9c1e"));
        assertEquals("2026-12-02T04:06:17.123Z DEBUG HttpRouter - 5f3a9c1e client closed mid-request\n",
                encode(LogFormat.TEXT, e));
    }

    @Test
    void jsonHasTimeLevelLoggerMessageInstanceAndConnection() throws Exception {
        LoggingEvent e = event("io.herald.transport.HttpRouter", Level.WARN, "HTTP error {} at {}", null,
                "java.lang.IllegalStateException", "a \"quoted\"\nsecond line");
        e.addKeyValuePair(new KeyValuePair(Logs.CONNECTION, "5f3a9c1e"));
        JsonNode n = json(e);
        List<String> fields = new ArrayList<>();
        n.fieldNames().forEachRemaining(fields::add);
        assertEquals(List.of("time", "level", "logger", "message", "instance", "connection"), fields);
        assertEquals("2026-12-02T04:06:17.123Z", n.get("time").asText());
        assertEquals("WARN", n.get("level").asText());
        assertEquals("io.herald.transport.HttpRouter", n.get("logger").asText(), "the full logger name");
        assertEquals("HTTP error java.lang.IllegalStateException at a \"quoted\"\nsecond line",
                n.get("message").asText());
        assertEquals("herald-1", n.get("instance").asText());
        assertEquals("5f3a9c1e", n.get("connection").asText());
        assertFalse(json(event("io.herald.Gateway", Level.INFO, "stopped", null)).has("connection"),
                "no connection field on a line about none");
    }

    @Test
    void jsonNamesAnExceptionByItsClassOnly() throws Exception {
        LoggingEvent e = event("io.herald.protocol.DialectHandler", Level.WARN, "closing after an unexpected error",
                new IllegalStateException("cannot route /api/v1/realtime/ws?token=abc.def.ghi"));
        JsonNode n = json(e);
        assertEquals("java.lang.IllegalStateException", n.get("exception").asText());
        assertFalse(n.toString().contains("cannot route"), n.toString());
    }

    @Test
    void tokensAndSessionIdsAreRedactedInBothFormatsEvenWhenTheCallSiteForgot() throws Exception {
        String target = "/socket.io/?EIO=4&transport=polling&sid=S3SS10N&token=T0K.EN.SIG;access_token=ACC355"
                + "&%74oken=ENC0DED";
        LoggingEvent e = event("io.herald.Careless", Level.WARN, "GET {} failed (\"{}\")", new IllegalStateException(
                "while reading " + target), target, "Token=QU0TED");
        String text = encode(LogFormat.TEXT, e);
        String json = json(e).toString();
        for (String secret : List.of("S3SS10N", "T0K", "EN.SIG", "ACC355", "ENC0DED", "QU0TED")) {
            assertFalse(text.contains(secret), secret + " in " + text);
            assertFalse(json.contains(secret), secret + " in " + json);
        }
        String redacted = "/socket.io/?EIO=4&transport=polling&sid=<redacted>&token=<redacted>;access_token=<redacted>"
                + "&%74oken=<redacted>";
        assertTrue(text.contains("GET " + redacted + " failed (\"Token=<redacted>\")\n"),
                "the rest stays readable: " + text);
        assertTrue(text.contains("java.lang.IllegalStateException: while reading " + redacted), "stack trace: " + text);
        assertTrue(json.contains("GET " + redacted + " failed"), json);
    }

    @Test
    void redactionLeavesOtherParametersAndAlreadyRedactedValuesAlone() {
        String line = "/api/v1/realtime/ws?x=1&token=<redacted> refused: UNAUTHORIZED (mysid=kept, tokens=kept)";
        assertTrue(encode(LogFormat.TEXT, event("io.herald.transport.WebSocketUpgrade", Level.DEBUG, line, null))
                .endsWith(" - " + line + "\n"));
    }

    @Test
    void logsSwitchesTheConfiguredConsoleEncoder() {
        // logback-test.xml, like logback.xml, writes through a LogLineEncoder
        try {
            assertTrue(Logs.use(LogFormat.JSON, "herald-1"));
        } finally {
            assertTrue(Logs.use(LogFormat.TEXT, null));
        }
    }
}
