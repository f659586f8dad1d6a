package io.herald.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.herald.config.ConfigKey;
import io.herald.testing.RedisServer;
import io.herald.testing.SocketIoNodeClient;
import io.herald.testing.TcpRelay;
import io.herald.testing.TestServer;
import io.herald.testing.WsTestClient;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * §11 Socket.IO connection state recovery with the official {@code socket.io-client}: a client that asked
 * ({@code auth.recover}) gets a {@code pid} and an offset string as every event's last argument; after
 * {@code socket.io.engine.close()} it reconnects, on the same instance or another one, with {@code socket.recovered}
 * true and every {@code user:} and {@code broadcast} event it missed, in order, once. A client that did not ask sees
 * exactly §7's frames, history or not; {@code HERALD_SOCKETIO_RECOVERY=true} gives every client recovery.
 */
class SocketIoRecoveryE2ETest {

    static TestServer local(boolean forAll) {
        return TestServer.start(c -> c.set(ConfigKey.HISTORY_SIZE, "50")
                .set(ConfigKey.SOCKETIO_RECOVERY, Boolean.toString(forAll)));
    }

    static ObjectNode options(String url, String token, boolean recover) {
        ObjectNode o = SocketIoNodeClient.options(url);
        o.putArray("transports").add("websocket");
        o.put("reconnectionDelay", 1500); // time to publish what the client will have missed
        ObjectNode auth = o.putObject("auth").put("token", token);
        if (recover) {
            auth.put("recover", true);
        }
        return o;
    }

    static void publish(TestServer s, String topic, int n) {
        s.publish("{\"topic\":\"" + topic + "\",\"event_type\":\"n\",\"data\":" + n + "}");
    }

    /** The engine drops, {@code n} is published on {@code topic} meanwhile, and the client comes back with it recovered. */
    static void dropMissOneAndRecover(SocketIoNodeClient c, TestServer s, String topic, int n) {
        c.closeEngine();
        c.next("disconnect");
        publish(s, topic, n);
        assertTrue(c.next("connect").get("recovered").asBoolean(), "socket.recovered");
        assertEquals(n, data(c.nextEvent("n")));
    }

    /** The event's data, after checking its last argument is an offset string. */
    static int data(JsonNode event) {
        JsonNode args = event.get("args");
        assertEquals(2, args.size(), args.toString());
        assertTrue(args.get(1).isTextual(), "the offset string, last: " + args);
        return args.get(0).asInt();
    }

    @Test
    void theOfficialClientRecoversWhatItMissedAfterItsEngineClosed() throws Exception {
        try (TestServer s = local(false);
             SocketIoNodeClient ann = SocketIoNodeClient.start(options("http://127.0.0.1:" + s.port(), s.userToken("ann"), true))) {
            assertFalse(ann.next("connect").path("recovered").asBoolean(), "a first connection recovers nothing");
            publish(s, "user:ann", 1);
            assertEquals(1, data(ann.nextEvent("n")));
            ann.closeEngine();
            ann.next("disconnect");
            publish(s, "user:ann", 2); // missed
            publish(s, "broadcast", 3);
            publish(s, "user:ann", 4);
            assertTrue(ann.next("connect").get("recovered").asBoolean(), "socket.recovered");
            assertEquals(2, data(ann.nextEvent("n")));
            assertEquals(4, data(ann.nextEvent("n")), "a topic's events in order");
            assertEquals(3, data(ann.nextEvent("n")), "then the other topic's");
            publish(s, "user:ann", 5);
            assertEquals(5, data(ann.nextEvent("n")), "then live");
            for (JsonNode line : ann.during(Duration.ofMillis(300))) {
                assertNotEquals("event", line.get("on").asText(), "nothing twice: " + line);
            }
            // recovered twice in a row: the offset string goes on from the replay
            dropMissOneAndRecover(ann, s, "user:ann", 6);
        }
    }

    @Test
    void aLongPollingClientRecoversToo() throws Exception {
        try (TestServer s = local(false)) {
            ObjectNode o = options("http://127.0.0.1:" + s.port(), s.userToken("lu"), true);
            o.putArray("transports").add("polling");
            try (SocketIoNodeClient lu = SocketIoNodeClient.start(o)) {
                assertEquals("polling", lu.next("connect").get("transport").asText());
                publish(s, "broadcast", 1);
                assertEquals(1, data(lu.nextEvent("n")));
                dropMissOneAndRecover(lu, s, "broadcast", 2);
            }
        }
    }

    @Test
    void aClientThatDidNotAskSeesNoExtraArgumentAndNoPid() throws Exception {
        try (TestServer s = local(false);
             SocketIoNodeClient bo = SocketIoNodeClient.start(options("http://127.0.0.1:" + s.port(), s.userToken("bo"), false))) {
            bo.next("connect");
            publish(s, "user:bo", 1);
            publish(s, "broadcast", 2);
            assertEquals("[1]", bo.nextEvent("n").get("args").toString(), "§7 exactly: Dart takes a 2nd argument as a list");
            assertEquals("[2]", bo.nextEvent("n").get("args").toString());
            bo.closeEngine();
            bo.next("disconnect");
            assertFalse(bo.next("connect").path("recovered").asBoolean());
        }
        try (TestServer s = local(false);
             WsTestClient raw = WsTestClient.connect(s.ws("/socket.io/?EIO=4&transport=websocket"))) {
            assertTrue(raw.next().startsWith("0{"));
            raw.send("40{\"token\":\"" + s.userToken("bo") + "\"}");
            String connect = raw.next();
            assertTrue(connect.startsWith("40{\"sid\":") && !connect.contains("pid"), connect);
        }
    }

    @Test
    void everyClientRecoversWithTheSettingAndAForgedOffsetOnlyResyncs() throws Exception {
        try (TestServer s = local(true);
             WsTestClient raw = WsTestClient.connect(s.ws("/socket.io/?EIO=4&transport=websocket"))) {
            assertTrue(raw.next().startsWith("0{"));
            raw.send("40{\"token\":\"" + s.userToken("cy") + "\"}");
            JsonNode connect = new com.fasterxml.jackson.databind.ObjectMapper().readTree(raw.next().substring(2));
            String pid = connect.get("pid").asText();
            publish(s, "user:cy", 1);
            String event = raw.next();
            assertTrue(event.matches("42\\[\"n\",1,\"" + pid.substring(0, 8) + "~[A-Za-z0-9_-]+\\.1~[A-Za-z0-9_-]+\\.0\"]"),
                    event + " for pid " + pid);
        }
        try (TestServer s = local(true);
             WsTestClient raw = WsTestClient.connect(s.ws("/socket.io/?EIO=4&transport=websocket"))) {
            raw.next();
            raw.send("40{\"token\":\"" + s.userToken("cy") + "\",\"pid\":\"p\\\"~x.1~y.2\",\"offset\":\"nope\"}");
            String answer = raw.next();
            JsonNode connect = new com.fasterxml.jackson.databind.ObjectMapper().readTree(answer.substring(2));
            assertFalse(answer.contains("p\\\"~x"), "a forged pid is never echoed: " + answer);
            assertNotEquals("p\"~x.1~y.2", connect.get("pid").asText(), "not recovered: a new pid");
            assertEquals("42[\"force_sync\"]", raw.next());
        }
    }

    /** A client that presents another user's pid and offset resumes nothing of theirs: its topics are its token's. */
    @Test
    void anotherUsersPidRecoversNothingOfTheirs() throws Exception {
        try (TestServer s = local(false)) {
            String pid;
            String offset;
            try (WsTestClient alice = WsTestClient.connect(s.ws("/socket.io/?EIO=4&transport=websocket"))) {
                alice.next();
                alice.send("40{\"token\":\"" + s.userToken("alice") + "\",\"recover\":true}");
                pid = new com.fasterxml.jackson.databind.ObjectMapper().readTree(alice.next().substring(2)).get("pid").asText();
                publish(s, "user:alice", 1);
                String event = alice.next();
                offset = event.substring(event.lastIndexOf(",\"") + 2, event.length() - 2);
            }
            publish(s, "user:alice", 2); // alice's, while she is away
            try (WsTestClient mallory = WsTestClient.connect(s.ws("/socket.io/?EIO=4&transport=websocket"))) {
                mallory.next();
                mallory.send("40{\"token\":\"" + s.userToken("mallory") + "\",\"recover\":true,\"pid\":\"" + pid
                        + "\",\"offset\":\"" + offset + "\"}");
                JsonNode connect = new com.fasterxml.jackson.databind.ObjectMapper().readTree(mallory.next().substring(2));
                assertNotEquals(pid, connect.get("pid").asText(), "not alice's session: a new pid");
                assertEquals("42[\"force_sync\"]", mallory.next());
                assertEquals(null, mallory.poll(Duration.ofMillis(300)), "none of alice's events");
            }
        }
    }

    @Test
    void aSessionRecoversOnAnotherInstanceThroughRedis() throws Exception {
        try (RedisServer redis = RedisServer.start();
             TestServer a = TestServer.start(c -> c.set(ConfigKey.BROKER, redis.url()).set(ConfigKey.INSTANCE_ID, "a")
                     .set(ConfigKey.HISTORY_SIZE, "50"));
             TestServer b = TestServer.start(c -> c.set(ConfigKey.BROKER, redis.url()).set(ConfigKey.INSTANCE_ID, "b")
                     .set(ConfigKey.HISTORY_SIZE, "50"));
             TcpRelay balancer = new TcpRelay(a.port());
             SocketIoNodeClient dee = SocketIoNodeClient.start(options(balancer.httpUrl(), a.userToken("dee"), true))) {
            dee.next("connect");
            publish(b, "user:dee", 1);
            assertEquals(1, data(dee.nextEvent("n")));
            balancer.retarget(b.port()); // the next connection lands on B
            dee.closeEngine();
            dee.next("disconnect");
            publish(a, "user:dee", 2);
            publish(b, "broadcast", 3);
            assertTrue(dee.next("connect").get("recovered").asBoolean(), "recovered on B from Redis's history");
            assertEquals(2, data(dee.nextEvent("n")));
            assertEquals(3, data(dee.nextEvent("n")));
        }
    }
}
