package io.herald.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.herald.config.ConfigKey;
import io.herald.testing.NodeBackend;
import io.herald.testing.RedisServer;
import io.herald.testing.SocketIoNodeClient;
import io.herald.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The setup of {@code docs/immich.md}, end to end: {@code scripts/immich-auth-proxy.js} between Herald and (a
 * stand-in for) Immich's API, the app emitting through {@code @socket.io/redis-adapter}, and an official
 * socket.io-client logged in with {@code x-immich-user-token} on {@code /api/socket.io}, as Immich's apps connect.
 */
class ImmichSetupE2ETest {
    static RedisServer redis;
    static NodeBackend immich;
    static Process proxy;
    static TestServer herald;

    @BeforeAll
    static void start() throws Exception {
        redis = RedisServer.start();
        immich = NodeBackend.withSocketIoApp(redis.port(), "socket.io");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        ProcessBuilder pb = new ProcessBuilder("node", Path.of("../scripts/immich-auth-proxy.js").toAbsolutePath().toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put("IMMICH_URL", "http://127.0.0.1:" + immich.port());
        pb.environment().put("PORT", Integer.toString(port));
        proxy = pb.start();
        String ready = new BufferedReader(new InputStreamReader(proxy.getInputStream(), StandardCharsets.UTF_8)).readLine();
        assertTrue(ready != null && ready.contains("immich auth proxy"), "the proxy script started: " + ready);
        int proxyPort = port;
        herald = TestServer.start(b -> b.set(ConfigKey.BROKER, redis.url())
                .set(ConfigKey.AUTH_PROXY, "http://127.0.0.1:" + proxyPort + "/")
                .set(ConfigKey.SOCKETIO_ADAPTER, "socket.io"));
        Thread.sleep(500); // the adapter ingress subscribes
    }

    @AfterAll
    static void stop() throws Exception {
        herald.close();
        proxy.destroy();
        proxy.waitFor(5, TimeUnit.SECONDS);
        immich.close();
        redis.close();
    }

    static ObjectNode client(String token) {
        ObjectNode o = SocketIoNodeClient.options("http://127.0.0.1:" + herald.port());
        o.put("path", "/api/socket.io");
        o.putArray("transports").add("websocket");
        o.put("reconnection", false);
        o.putObject("extraHeaders").put("x-immich-user-token", token);
        return o;
    }

    @Test
    void anImmichAppConnectsGetsTheVersionAndItsSessionsEvents() {
        try (SocketIoNodeClient app = SocketIoNodeClient.start(client("ok:user-7:session-7"))) {
            app.next("connect");
            JsonNode version = app.nextEvent("on_server_version");
            assertEquals("{\"major\":2,\"minor\":3,\"patch\":1}", version.get("args").get(0).toString());
            immich.emit("{\"op\":\"to\",\"room\":\"session-7\",\"event\":\"on_session_delete\",\"args\":[\"session-7\"]}");
            assertEquals("session-7", app.nextEvent("on_session_delete").get("args").get(0).asText());
            immich.emit("{\"op\":\"to\",\"room\":\"user-7\",\"event\":\"on_upload_success\",\"args\":[{\"id\":\"a\"}]}");
            assertEquals("a", app.nextEvent("on_upload_success").get("args").get(0).get("id").asText());
        }
    }

    @Test
    void aTokenImmichRefusesIsUnauthorized() {
        try (SocketIoNodeClient app = SocketIoNodeClient.start(client("expired"))) {
            assertEquals("unauthorized", app.next("connect_error").get("message").asText());
        }
    }

    @Test
    void immichDownIsUnavailableNotUnauthorized() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        ProcessBuilder pb = new ProcessBuilder("node", Path.of("../scripts/immich-auth-proxy.js").toAbsolutePath().toString());
        pb.environment().put("IMMICH_URL", "http://127.0.0.1:" + closed);
        pb.environment().put("PORT", Integer.toString(port));
        Process lonely = pb.start();
        try (TestServer h = TestServer.start(b -> b.set(ConfigKey.AUTH_PROXY, "http://127.0.0.1:" + port + "/"))) {
            new BufferedReader(new InputStreamReader(lonely.getInputStream(), StandardCharsets.UTF_8)).readLine();
            ObjectNode o = client("ok:u:s");
            o.put("url", "http://127.0.0.1:" + h.port());
            try (SocketIoNodeClient app = SocketIoNodeClient.start(o)) {
                assertEquals("unavailable", app.next("connect_error").get("message").asText());
            }
        } finally {
            lonely.destroy();
            lonely.waitFor(5, TimeUnit.SECONDS);
        }
    }
}
