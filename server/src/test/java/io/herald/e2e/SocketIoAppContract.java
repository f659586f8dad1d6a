package io.herald.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.herald.testing.NodeBackend;
import io.herald.testing.SocketIoNodeClient;
import io.herald.testing.TestServer;
import io.herald.testing.WsTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * §12 Socket.IO apps, whatever adapter the app uses: an unchanged Node Socket.IO server with the official
 * {@code @socket.io/redis-adapter} (pinned in {@code src/test/node/package-lock.json}) emits {@code io.emit},
 * {@code io.to(room)}, {@code io.to([rooms])} and {@code io.except(room)}; official {@code socket.io-client} sockets
 * connected to Herald on {@code /api/socket.io} with Immich's {@code x-immich-user-token} header (checked by the same
 * backend's auth proxy) receive exactly what the app meant: a connection is in the rooms of its user id and its session
 * id, once per emit however many of its rooms are named, never when an {@code except} room holds it. And the app's
 * own requests never wait for Herald. Subclasses start Redis, the app ({@link #app}) and Herald ({@link #herald}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class SocketIoAppContract {
    NodeBackend app;
    TestServer herald;

    SocketIoNodeClient immich(String credential, String transport) {
        ObjectNode o = SocketIoNodeClient.options("http://127.0.0.1:" + herald.port());
        o.put("path", "/api/socket.io");
        o.putArray("transports").add(transport);
        o.putObject("extraHeaders").put("x-immich-user-token", credential);
        SocketIoNodeClient c = SocketIoNodeClient.start(o);
        c.next("connect");
        c.nextEvent("on_server_version"); // the proxy's events come first (§12)
        return c;
    }

    /** The events named {@code name} that arrive within half a second. */
    static List<JsonNode> received(SocketIoNodeClient c, String name) throws InterruptedException {
        return c.during(Duration.ofMillis(500)).stream()
                .filter(j -> "event".equals(j.path("on").asText()) && name.equals(j.path("name").asText())).toList();
    }

    @Test
    void everyKindOfEmitReachesExactlyItsRooms() throws Exception {
        try (SocketIoNodeClient u1a = immich("ok:u1:sess-1a", "websocket");
             SocketIoNodeClient u1b = immich("ok:u1:sess-1b", "polling");
             SocketIoNodeClient u2 = immich("ok:u2:sess-2", "websocket")) {
            app.emit("{\"op\":\"emit\",\"event\":\"on_config_update\",\"args\":[{\"a\":1},\"two\",3]}");
            for (SocketIoNodeClient c : List.of(u1a, u1b, u2)) {
                JsonNode e = c.nextEvent("on_config_update");
                assertEquals("[{\"a\":1},\"two\",3]", e.get("args").toString(), "io.emit reaches everyone, args intact");
            }

            app.emit("{\"op\":\"to\",\"room\":\"u1\",\"event\":\"on_asset_update\",\"args\":[{\"id\":\"x\"}]}");
            assertEquals(1, received(u1a, "on_asset_update").size(), "io.to(user id)");
            assertEquals(1, received(u1b, "on_asset_update").size());
            assertEquals(0, received(u2, "on_asset_update").size(), "not another user");

            app.emit("{\"op\":\"to\",\"room\":\"sess-1b\",\"event\":\"on_session\",\"args\":[]}");
            assertEquals(1, received(u1b, "on_session").size(), "io.to(session id)");
            assertEquals(0, received(u1a, "on_session").size(), "not the user's other session");

            app.emit("{\"op\":\"except\",\"room\":\"u1\",\"event\":\"on_new_release\",\"args\":[1]}");
            assertEquals(1, received(u2, "on_new_release").size(), "io.except(room)");
            assertEquals(0, received(u1a, "on_new_release").size());
            assertEquals(0, received(u1b, "on_new_release").size());

            app.emit("{\"op\":\"toMany\",\"rooms\":[\"u1\",\"sess-1a\",\"sess-2\"],\"event\":\"many\",\"args\":[]}");
            assertEquals(1, received(u1a, "many").size(), "once, though in two of the rooms");
            assertEquals(1, received(u1b, "many").size());
            assertEquals(1, received(u2, "many").size());
        }
    }

    @Test
    void onlySocketIoConnectionsAreInRooms() throws Exception {
        try (WsTestClient rt = WsTestClient.connect(herald.ws("/api/v1/realtime/ws?token="
                + URLEncoder.encode("ok:u3:sess-3", StandardCharsets.UTF_8)));
             SocketIoNodeClient u3 = immich("ok:u3:sess-3b", "websocket")) {
            rt.nextJson();
            rt.next(); // on_server_version
            app.emit("{\"op\":\"to\",\"room\":\"u3\",\"event\":\"sio_only\",\"args\":[]}");
            app.emit("{\"op\":\"emit\",\"event\":\"sio_all\",\"args\":[]}");
            // in either order: the sharded adapter sends one room's emits and everyone's on different channels
            List<String> names = u3.during(Duration.ofSeconds(1)).stream()
                    .filter(j -> "event".equals(j.path("on").asText())).map(j -> j.path("name").asText()).sorted().toList();
            assertEquals(List.of("sio_all", "sio_only"), names);
            assertNull(rt.poll(Duration.ofMillis(300)), "a realtime connection of the same user gets nothing");
        }
    }

    /**
     * §12: Herald never answers the adapter's requests, and is not counted among the app's servers either: the app's
     * {@code fetchSockets} (2 s timeout) would otherwise wait for Herald's answer and fail.
     */
    @Test
    void theAppsRequestsNeverWaitForHerald() {
        try (SocketIoNodeClient u4 = immich("ok:u4:sess-4", "websocket")) {
            JsonNode answer = app.fetchSockets();
            assertFalse(answer.has("error"), answer.toString());
            assertEquals(0, answer.get("sockets").asInt(), "the app's own sockets only: Herald's are not the app's");
        }
    }
}
