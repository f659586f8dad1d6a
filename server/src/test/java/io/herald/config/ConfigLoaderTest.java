package io.herald.config;

import io.herald.logging.LogFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigLoaderTest {
    private static final String SECRET = "0123456789abcdef0123456789abcdef"; // 32 bytes

    @TempDir
    Path dir;

    private static HeraldConfig load(Map<String, String> env, String... args) {
        return ConfigLoader.load(env, args).config();
    }

    private Path file(String content) throws IOException {
        Path f = dir.resolve("herald.properties");
        Files.writeString(f, content, StandardCharsets.UTF_8);
        return f;
    }

    private static ConfigException fails(Map<String, String> env, String... args) {
        ConfigException e = assertThrows(ConfigException.class, () -> load(env, args));
        assertFalse(e.getMessage().contains("\n") || e.getMessage().contains("\r"), "one line: " + e.getMessage());
        return e;
    }

    // §1 table: every default
    @Test
    void defaultsFollowTheTable() {
        HeraldConfig c = load(Map.of());
        assertEquals("0.0.0.0", c.bind());
        assertEquals(8080, c.port());
        assertNull(c.jwtSecret());
        assertNull(c.jwtPublicKey());
        assertNull(c.jwtIssuer());
        assertNull(c.jwtAudience());
        assertEquals(Duration.ofSeconds(5), c.jwtLeeway());
        assertEquals("local", c.broker());
        assertEquals("herald:", c.redisPrefix());
        assertEquals(1000, c.sendBuffer());
        assertEquals(Duration.ofSeconds(90), c.idleTimeout());
        assertEquals(65536, c.maxFrame());
        assertEquals(List.of(), c.allowedOrigins());
        assertNull(c.tlsCert());
        assertNull(c.tlsKey());
        assertEquals(Duration.ofSeconds(10), c.drain());
        assertEquals(0, c.maxConnections());
        assertFalse(c.socketIoConformance());
    }

    // §1 table: HERALD_INSTANCE_ID defaults to host name + pid
    @Test
    void instanceIdDefaultsToHostAndPid() {
        assertTrue(load(Map.of()).instanceId().endsWith("-" + ProcessHandle.current().pid()));
    }

    // §1: environment variables are read
    @Test
    void environmentIsRead() {
        HeraldConfig c = load(Map.of("HERALD_PORT", "9000", "HERALD_ALLOWED_ORIGINS", "https://a.example, https://b.example",
                "HERALD_SOCKETIO_CONFORMANCE", "true", "HERALD_BIND", "127.0.0.1", "PATH", "/usr/bin"));
        assertEquals(9000, c.port());
        assertEquals(List.of("https://a.example", "https://b.example"), c.allowedOrigins());
        assertTrue(c.socketIoConformance());
    }

    // §7: the conformance profile is test-only and refuses to start unless bound to loopback
    @Test
    void socketIoConformanceNeedsALoopbackBind() {
        for (String bind : new String[] {"0.0.0.0", "::", "192.0.2.1"}) {
            ConfigException e = assertThrows(ConfigException.class,
                    () -> load(Map.of("HERALD_SOCKETIO_CONFORMANCE", "true", "HERALD_BIND", bind)));
            assertTrue(e.getMessage().startsWith("HERALD_SOCKETIO_CONFORMANCE: "), e.getMessage());
        }
        assertTrue(load(Map.of("HERALD_SOCKETIO_CONFORMANCE", "true", "HERALD_BIND", "::1")).socketIoConformance());
        assertTrue(load(Map.of("HERALD_SOCKETIO_CONFORMANCE", "true", "HERALD_BIND", "localhost")).socketIoConformance());
    }

    // §1/§12: the backend keys, their defaults and their refusals
    @Test
    void compressionKey() {
        assertTrue(load(Map.of()).compression(), "RFC 7692 on by default");
        assertFalse(load(Map.of("HERALD_COMPRESSION", "off")).compression());
        assertTrue(load(Map.of("HERALD_COMPRESSION", "on")).compression());
        assertTrue(fails(Map.of("HERALD_COMPRESSION", "gzip")).getMessage().startsWith("HERALD_COMPRESSION: "));
    }

    // §1 / issue 15: HERALD_LOG_FORMAT is text by default or json, from any source; anything else stops start-up
    @Test
    void logFormatKey() {
        assertEquals(LogFormat.TEXT, load(Map.of()).logFormat());
        assertEquals(LogFormat.JSON, load(Map.of("HERALD_LOG_FORMAT", "json")).logFormat());
        assertEquals(LogFormat.JSON, load(Map.of(), "--log-format=json").logFormat());
        assertEquals(LogFormat.TEXT, load(Map.of("HERALD_LOG_FORMAT", "json"), "--log-format=text").logFormat());
        ConfigException e = fails(Map.of("HERALD_LOG_FORMAT", "xml"));
        assertEquals("HERALD_LOG_FORMAT: bad value (expected text or json)", e.getMessage());
        assertTrue(fails(Map.of(), "--log-format=xml").getMessage().startsWith("HERALD_LOG_FORMAT: "));
    }

    @Test
    void backendKeys() {
        HeraldConfig d = load(Map.of());
        assertNull(d.authProxy());
        assertEquals(List.of("authorization", "cookie", "x-immich-user-token", "x-immich-session-token", "x-api-key"),
                d.authProxyHeaders());
        assertEquals(Duration.ofSeconds(2), d.authProxyTimeout());
        assertEquals(Duration.ofSeconds(30), d.authProxyCache());
        assertNull(d.socketIoAdapter());
        HeraldConfig c = load(Map.of("HERALD_AUTH_PROXY", "https://backend.example/auth?x=1",
                "HERALD_AUTH_PROXY_HEADERS", "X-Api-Key, Cookie", "HERALD_AUTH_PROXY_TIMEOUT", "500ms",
                "HERALD_AUTH_PROXY_CACHE", "0s", "HERALD_SOCKETIO_ADAPTER", "socket.io", "HERALD_BROKER", "redis://r:6379"));
        assertEquals("backend.example", c.authProxy().getHost());
        assertEquals(List.of("x-api-key", "cookie"), c.authProxyHeaders(), "header names compare in lower case");
        assertEquals(Duration.ofMillis(500), c.authProxyTimeout());
        assertEquals("socket.io", c.socketIoAdapter());
        assertTrue(fails(Map.of("HERALD_AUTH_PROXY", "ftp://x/")).getMessage().startsWith("HERALD_AUTH_PROXY: "));
        assertTrue(fails(Map.of("HERALD_AUTH_PROXY", "not a url")).getMessage().startsWith("HERALD_AUTH_PROXY: "));
        assertTrue(fails(Map.of("HERALD_AUTH_PROXY_TIMEOUT", "0s")).getMessage().startsWith("HERALD_AUTH_PROXY_TIMEOUT: "));
        assertTrue(fails(Map.of("HERALD_SOCKETIO_ADAPTER", "socket.io")).getMessage()
                .startsWith("HERALD_SOCKETIO_ADAPTER: "), "needs Redis");
        assertTrue(fails(Map.of("HERALD_SOCKETIO_ADAPTER", "a#b", "HERALD_BROKER", "redis://r:6379")).getMessage()
                .startsWith("HERALD_SOCKETIO_ADAPTER: "));
        assertEquals("socket.io", load(Map.of("HERALD_SOCKETIO_ADAPTER", "socket.io",
                "HERALD_BROKER", "redis-cluster://a:1,b:2")).socketIoAdapter(), "the sharded adapter on a cluster");
    }

    // §1: the --config file wins over the environment
    @Test
    void fileOverridesEnvironment() throws IOException {
        Path f = file("HERALD_PORT=2222\n");
        HeraldConfig c = load(Map.of("HERALD_PORT", "1111", "HERALD_SEND_BUFFER", "7"), "--config", f.toString());
        assertEquals(2222, c.port());
        assertEquals(7, c.sendBuffer());
    }

    // §1: a file may use the flag spelling of a key
    @Test
    void fileAcceptsFlagSpelling() throws IOException {
        Path f = file("send-buffer=5\nidle-timeout=2m\n");
        HeraldConfig c = load(Map.of(), "--config=" + f);
        assertEquals(5, c.sendBuffer());
        assertEquals(Duration.ofMinutes(2), c.idleTimeout());
    }

    // §1: flags win over file and environment, wherever --config stands on the line
    @Test
    void flagsOverrideFileAndEnvironment() throws IOException {
        Path f = file("HERALD_PORT=2222\nHERALD_BROKER=redis://file:6379\n");
        HeraldConfig c = load(Map.of("HERALD_PORT", "1111", "HERALD_BIND", "127.0.0.1"),
                "--port=3333", "--config", f.toString());
        assertEquals(3333, c.port());
        assertEquals("redis://file:6379", c.broker());
        assertEquals("127.0.0.1", c.bind());
    }

    // §1: arguments that are not options are handed back (e.g. the token subcommand)
    @Test
    void nonOptionsAreReturned() {
        ConfigLoader.Loaded l = ConfigLoader.load(Map.of(), new String[] {"token", "--sub", "alice", "--port=1"});
        assertEquals(List.of("token", "--sub", "alice"), l.rest());
        assertEquals(1, l.config().port());
    }

    // §1: an unknown key in the environment stops start-up with one line naming it
    @Test
    void unknownEnvironmentKeyIsNamed() {
        assertTrue(fails(Map.of("HERALD_NO_SUCH_KEY", "1")).getMessage().contains("HERALD_NO_SUCH_KEY"));
    }

    // §1: an unknown key in the file stops start-up with one line naming it
    @Test
    void unknownFileKeyIsNamed() throws IOException {
        Path f = file("HERALD_PORT=1\nbogus-key=2\n");
        assertTrue(fails(Map.of(), "--config", f.toString()).getMessage().contains("bogus-key"));
    }

    // §1: an unknown flag stops start-up with one line naming it
    @Test
    void unknownFlagIsNamed() {
        assertTrue(fails(Map.of(), "--colour=blue").getMessage().contains("colour"));
    }

    // §1: a bad value names the key
    @Test
    void nonNumericPortIsNamed() {
        assertTrue(fails(Map.of("HERALD_PORT", "abc")).getMessage().contains("HERALD_PORT"));
    }

    // §1: a bad value names the key, also when it came as a flag
    @Test
    void outOfRangePortIsNamed() {
        assertTrue(fails(Map.of(), "--port=70000").getMessage().contains("HERALD_PORT"));
    }

    // §1: HERALD_JWT_SECRET is at least 32 bytes; the message never shows the secret
    @Test
    void shortSecretIsNamedButNotShown() {
        String secret = "only-31-bytes-long-secret-value";
        assertEquals(31, secret.length());
        String msg = fails(Map.of("HERALD_JWT_SECRET", secret)).getMessage();
        assertTrue(msg.contains("HERALD_JWT_SECRET"), msg);
        assertFalse(msg.contains(secret), msg);
    }

    // §1: 32 bytes is enough
    @Test
    void thirtyTwoByteSecretIsAccepted() {
        assertEquals(SECRET, load(Map.of("HERALD_JWT_SECRET", SECRET)).jwtSecret());
    }

    // §1: a bad duration names the key
    @ParameterizedTest
    @ValueSource(strings = {"five", "5x", "-5s", "1.5s", "s"})
    void badDurationIsNamed(String value) {
        String msg = fails(Map.of("HERALD_IDLE_TIMEOUT", value)).getMessage();
        assertTrue(msg.startsWith("HERALD_IDLE_TIMEOUT"), msg);
    }

    // §1: a duration too long to count in milliseconds is a bad value, told in one line, not a crash
    @Test
    void overflowingDurationIsNamed() {
        String msg = fails(Map.of("HERALD_IDLE_TIMEOUT", "999999999999d")).getMessage();
        assertTrue(msg.startsWith("HERALD_IDLE_TIMEOUT"), msg);
    }

    // §1: durations such as 5s, 90s, 10s
    @Test
    void durationUnits() {
        assertEquals(Duration.ofMillis(500), Durations.parse("500ms"));
        assertEquals(Duration.ofSeconds(90), Durations.parse("90s"));
        assertEquals(Duration.ofMinutes(2), Durations.parse("2m"));
        assertEquals(Duration.ofHours(1), Durations.parse("1h"));
        assertEquals(Duration.ofDays(1), Durations.parse("1d"));
        assertEquals(Duration.ofSeconds(42), Durations.parse("42"));
    }

    // §1: durations are read from configuration
    @Test
    void durationsFromConfiguration() {
        HeraldConfig c = load(Map.of("HERALD_DRAIN", "500ms", "HERALD_JWT_LEEWAY", "30"), "--idle-timeout=1h");
        assertEquals(Duration.ofMillis(500), c.drain());
        assertEquals(Duration.ofSeconds(30), c.jwtLeeway());
        assertEquals(Duration.ofHours(1), c.idleTimeout());
    }

    // §1: with no JWT key Herald starts in development mode
    @Test
    void developmentModeWithoutKey() {
        assertTrue(load(Map.of()).developmentMode());
    }

    // §1: a secret or a public key turns development mode off
    @Test
    void noDevelopmentModeWithKey() throws IOException {
        assertFalse(load(Map.of("HERALD_JWT_SECRET", SECRET)).developmentMode());
        Path pem = file("-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n");
        assertFalse(load(Map.of("HERALD_JWT_PUBLIC_KEY", pem.toString())).developmentMode());
    }
}
