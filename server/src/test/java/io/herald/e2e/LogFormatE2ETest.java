package io.herald.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.herald.auth.TokenIssuer;
import io.herald.config.ConfigKey;
import io.herald.logging.LogFormat;
import io.herald.logging.Logs;
import io.herald.testing.RawHttp;
import io.herald.testing.ServerLog;
import io.herald.testing.TestServer;
import io.herald.testing.WsTestClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Issue 15 and §1 {@code HERALD_LOG_FORMAT}: JSON lines parse, carry time, level, logger, message, instance and
 * (for a line about a connection) the connection id; and no line, JSON or text, ever holds a token (§2) or an
 * Engine.IO session id (§7), even one a careless line would log whole.
 */
class LogFormatE2ETest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What the server was given and logged: the secrets that must not show, and the lines. */
    record Run(List<String> secrets, String log) {
    }

    @AfterEach
    void backToText() {
        Logs.use(LogFormat.TEXT, null); // logging is one per JVM: the next test class reads text lines
    }

    @Test
    void jsonLinesParseCarryTheirFieldsAndNeverATokenOrSid() throws Exception {
        Run run = logWhileRefusingTokens("json");
        List<JsonNode> lines = new ArrayList<>();
        for (String line : run.log().split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode node;
            try {
                node = JSON.readTree(line);
            } catch (java.io.IOException e) {
                throw new AssertionError("not a JSON line: " + line, e);
            }
            assertTrue(node.isObject(), line);
            for (String field : List.of("time", "level", "logger", "message", "instance")) {
                assertTrue(node.path(field).isTextual(), field + " in " + line);
            }
            assertTrue(node.get("time").asText().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"), line);
            lines.add(node);
        }
        assertTrue(lines.stream().anyMatch(n -> n.get("message").asText().startsWith("Herald ")
                && n.get("logger").asText().equals("io.herald.Gateway")), "the start line: " + run.log());
        assertTrue(lines.stream().allMatch(n -> n.get("instance").asText().equals("logs-json")), run.log());
        // the connection id is a field of its own, not the message's first word
        assertTrue(lines.stream().anyMatch(n -> n.get("logger").asText().equals("io.herald.transport.WebSocketUpgrade")
                && n.path("connection").asText().matches("\\w+") && n.get("message").asText()
                        .startsWith("/api/v1/realtime/ws?sid=<redacted>&token=<redacted> refused: ")),
                "a refusal names its connection: " + run.log());
        assertTrue(lines.stream().anyMatch(n -> n.get("message").asText().startsWith("careless ")
                && n.path("exception").asText().equals("java.lang.IllegalStateException")), run.log());
        assertNoSecret(run);
    }

    @Test
    void textLinesNeverHoldATokenOrSidEither() throws Exception {
        Run run = logWhileRefusingTokens("text");
        assertTrue(run.log().lines().anyMatch(l -> l.matches(
                "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z INFO Gateway - Herald .*")), run.log());
        assertTrue(run.log().lines().anyMatch(l -> l.matches(".* DEBUG WebSocketUpgrade - \\w+ /api/v1/realtime/ws\\?"
                + "sid=<redacted>&token=<redacted> refused: .*")), "the connection id leads a refusal: " + run.log());
        assertFalse(run.log().contains("{\"time\""), run.log());
        assertNoSecret(run);
    }

    private static void assertNoSecret(Run run) {
        for (String secret : run.secrets()) {
            assertFalse(run.log().contains(secret), "logged: " + secret + " in\n" + run.log());
        }
    }

    /**
     * Starts a server in {@code format} and, while its lines are read: upgrades with an expired token and a §7 sid
     * (refused 4401), with a valid token for a device it does not have (4403), sends a target Netty cannot decode
     * (400), and logs a target with a token and a sid unredacted, with an exception whose message quotes it.
     */
    private static Run logWhileRefusingTokens(String format) throws Exception {
        TokenIssuer issuer = new TokenIssuer(TestServer.SECRET);
        String expired = issuer.issue("alice", List.of("s1"), List.of("d1"), List.of(), List.of(),
                Duration.ofMinutes(-5));
        String valid = issuer.issue("alice", List.of("s1"), List.of("d1"), List.of(), List.of(), Duration.ofHours(1));
        List<String> secrets = new ArrayList<>();
        for (String token : List.of(expired, valid)) {
            secrets.add(token.substring(0, token.indexOf('.'))); // header
            secrets.add(token.substring(token.indexOf('.') + 1, token.lastIndexOf('.'))); // claims
            secrets.add(token.substring(token.lastIndexOf('.') + 1)); // signature
        }
        List<String> sids = new ArrayList<>();
        String log = ServerLog.during(() -> {
            try (TestServer server = TestServer.start(b -> b.set(ConfigKey.LOG_FORMAT, format)
                    .set(ConfigKey.INSTANCE_ID, "logs-" + format))) {
                String open = TestServer.send(HttpRequest.newBuilder(URI.create(
                        server.http("/socket.io/?EIO=4&transport=polling"))).GET().build()).body();
                String sid = open.replaceAll("(?s).*\"sid\":\"([^\"]+)\".*", "$1");
                assertFalse(sid.isEmpty() || sid.equals(open), open);
                sids.add(sid);
                String refused = "/api/v1/realtime/ws?sid=" + sid + "&token=" + expired;
                try (WsTestClient ws = WsTestClient.connect(server.ws(refused))) {
                    assertEquals(4401, ws.awaitClose().code());
                }
                try (WsTestClient ws = WsTestClient.connect(server.ws("/api/v1/sync/ws/elsewhere?token=" + valid))) {
                    assertEquals(4403, ws.awaitClose().code());
                }
                String status = RawHttp.exchange(server.port(), "GET /api/v1/realtime/ws?token=" + valid
                        + "&x=% HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
                assertTrue(status.startsWith("HTTP/1.1 400"), status);
                // a line whose author forgot BearerTokens.redact: the encoder redacts it all the same
                String target = "/socket.io/?EIO=4&transport=polling&sid=" + sid + "&token=" + valid;
                LoggerFactory.getLogger(LogFormatE2ETest.class).atWarn().addKeyValue(Logs.CONNECTION, "c0ffee")
                        .setCause(new IllegalStateException("bad request " + target))
                        .log("careless {} failed", target);
            }
        });
        secrets.addAll(sids);
        if (sids.isEmpty()) {
            fail("no Engine.IO session was opened:\n" + log);
        }
        return new Run(secrets, log);
    }
}
