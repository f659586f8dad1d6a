package io.herald.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.herald.config.ConfigKey;
import io.herald.testing.RedisServer;
import io.herald.testing.TcpRelay;
import io.herald.testing.TestServer;
import io.herald.testing.WsTestClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * §11 with the Redis broker, on a real {@code redis-server}: the history lives in Redis, so a client resumes on
 * another instance or after a restart; offsets stay gapless under publishers on two instances; a backend publishes
 * with history through Redis itself ({@code FCALL herald_publish}); an instance cut off from Redis catches up
 * without {@code force_sync}; a Redis restarted empty starts a new epoch.
 */
class RedisRecoveryE2ETest {
    static RedisServer redis;

    @BeforeAll
    static void startRedis() {
        redis = RedisServer.start();
    }

    @AfterAll
    static void stopRedis() {
        redis.close();
    }

    static TestServer instance(String id, String brokerUrl) {
        return TestServer.start(c -> c.set(ConfigKey.BROKER, brokerUrl).set(ConfigKey.INSTANCE_ID, id)
                .set(ConfigKey.HISTORY_SIZE, "50"));
    }

    static WsTestClient connect(TestServer s, String user, String share) {
        WsTestClient ws = WsTestClient.connect(s.ws("/api/v1/realtime/ws?token=" + s.userToken(user, share)));
        assertEquals("connected", ws.nextJson().get("type").asText());
        return ws;
    }

    static void publish(TestServer s, String share, int n) {
        HttpResponse<String> r = s.post("/api/v1/publish", s.publisherToken(),
                "{\"topic\":\"share:" + share + "\",\"event_type\":\"file_updated\",\"data\":{\"n\":" + n + "}}");
        assertEquals(202, r.statusCode(), r.body());
    }

    static String event(String share, int n, long offset) {
        return "{\"type\":\"file_updated\",\"share_id\":\"" + share + "\",\"data\":{\"n\":" + n + "},\"offset\":" + offset + "}";
    }

    static String since(String share, String epoch, long offset) {
        return "{\"action\":\"subscribe\",\"share_id\":\"" + share + "\",\"since\":{\"epoch\":\"" + epoch + "\",\"offset\":" + offset + "}}";
    }

    /** Subscribes and returns the share's epoch. */
    static String subscribe(WsTestClient ws, String share) {
        ws.send("{\"action\":\"subscribe\",\"share_id\":\"" + share + "\"}");
        JsonNode subscribed = ws.nextJson();
        assertEquals("subscribed", subscribed.get("type").asText(), subscribed.toString());
        return subscribed.get("epoch").asText();
    }

    /** {@code FCALL herald_publish} on the keys of {@code tag} refuses {@code envelope} as "not an envelope". */
    static void refused(String tag, String envelope, String why) {
        redis.with(r -> {
            try {
                r.fcall("herald_publish", io.lettuce.core.ScriptOutputType.MULTI,
                        new String[] {tag + ":log", tag + ":pos"}, envelope);
                throw new AssertionError(why);
            } catch (io.lettuce.core.RedisCommandExecutionException expected) {
                assertTrue(expected.getMessage().contains("not an envelope"), expected.getMessage());
            }
        });
    }

    @Test
    void aClientThatLeftOneInstanceResumesOnAnother() throws Exception {
        try (TestServer a = instance("a", redis.url()); TestServer b = instance("b", redis.url())) {
            String epoch;
            try (WsTestClient ws = connect(a, "ann", "h1")) {
                epoch = subscribe(ws, "h1");
                publish(b, "h1", 1);
                assertEquals(event("h1", 1, 1), ws.next());
            }
            publish(a, "h1", 2); // while the client is away
            publish(b, "h1", 3);
            try (WsTestClient ws = connect(b, "ann", "h1")) {
                ws.send(since("h1", epoch, 1));
                assertEquals("{\"type\":\"subscribed\",\"share_id\":\"h1\",\"epoch\":\"" + epoch
                        + "\",\"offset\":1,\"recovered\":true}", ws.next());
                assertEquals(event("h1", 2, 2), ws.next());
                assertEquals(event("h1", 3, 3), ws.next());
                publish(a, "h1", 4);
                assertEquals(event("h1", 4, 4), ws.next(), "then live");
                assertNull(ws.poll(Duration.ofMillis(300)), "nothing twice");
            }
        }
    }

    @Test
    void anEventPublishedWhileTheReplayIsReadAppearsExactlyOnce() throws Exception {
        try (TestServer a = instance("a", redis.url()); TestServer b = instance("b", redis.url())) {
            String epoch;
            try (WsTestClient ws = connect(a, "seam", "q1")) {
                epoch = subscribe(ws, "q1");
            }
            for (int n = 1; n <= 10; n++) {
                publish(b, "q1", n);
            }
            try (WsTestClient ws = connect(a, "seam", "q1")) {
                CompletableFuture<Void> publisher = CompletableFuture.runAsync(() -> {
                    for (int n = 11; n <= 40; n++) {
                        publish(b, "q1", n);
                    }
                });
                ws.send(since("q1", epoch, 0));
                assertTrue(ws.nextJson().get("recovered").asBoolean());
                publisher.get(30, TimeUnit.SECONDS);
                for (int n = 1; n <= 40; n++) {
                    assertEquals(n, ws.nextJson().get("offset").asLong(), "every offset once, in order");
                }
                assertNull(ws.poll(Duration.ofMillis(300)), "nothing twice");
            }
        }
    }

    @Test
    void publishersOnTwoInstancesGetGaplessOffsets() throws Exception {
        try (TestServer a = instance("a", redis.url()); TestServer b = instance("b", redis.url());
             WsTestClient ws = connect(a, "gus", "c1")) {
            subscribe(ws, "c1");
            ExecutorService pool = Executors.newFixedThreadPool(4);
            List<CompletableFuture<Void>> publishers = new ArrayList<>();
            for (int p = 0; p < 4; p++) {
                TestServer via = p % 2 == 0 ? a : b;
                publishers.add(CompletableFuture.runAsync(() -> {
                    for (int n = 0; n < 50; n++) {
                        publish(via, "c1", n);
                    }
                }, pool));
            }
            CompletableFuture.allOf(publishers.toArray(new CompletableFuture[0])).get(60, TimeUnit.SECONDS);
            pool.shutdown();
            for (int o = 1; o <= 200; o++) {
                assertEquals(o, ws.nextJson().get("offset").asLong(), "no offset skipped or repeated, in order");
            }
            assertNull(ws.poll(Duration.ofMillis(300)));
        }
    }

    @Test
    void aBackendPublishesWithHistoryThroughRedisItself() throws Exception {
        try (TestServer a = instance("a", redis.url()); WsTestClient ws = connect(a, "bea", "f1")) {
            String epoch = subscribe(ws, "f1");
            List<Object> answer = new ArrayList<>();
            redis.with(r -> answer.addAll(r.fcall("herald_publish", io.lettuce.core.ScriptOutputType.MULTI,
                    new String[] {"{herald:share:f1}:log", "{herald:share:f1}:pos"},
                    "{\"topic\":\"share:f1\",\"event_type\":\"file_updated\",\"data\":{\"n\":1}}")));
            assertEquals(List.of(epoch, 1L), answer, "the event's position: [epoch, offset]");
            assertEquals(event("f1", 1, 1), ws.next());
            refused("{herald:share:f1}", "{\"topic\":\"share:other\",\"event_type\":\"x\"}",
                    "an envelope of another topic must be refused");
            refused("{app:share:f1}", "{\"topic\":\"share:f1\",\"event_type\":\"x\"}",
                    "keys of another prefix must be refused: nobody listens there");
            assertNull(ws.poll(Duration.ofMillis(300)), "nothing published for the refused one");
        }
    }

    @Test
    void anInstanceRestartLosesNothingOfTheHistory() {
        String epoch;
        try (TestServer a = instance("a", redis.url()); WsTestClient ws = connect(a, "ida", "r1")) {
            epoch = subscribe(ws, "r1");
            publish(a, "r1", 1);
            assertEquals(event("r1", 1, 1), ws.next());
            publish(a, "r1", 2);
            assertEquals(event("r1", 2, 2), ws.next());
        }
        try (TestServer again = instance("a", redis.url()); WsTestClient ws = connect(again, "ida", "r1")) {
            ws.send(since("r1", epoch, 1));
            assertTrue(ws.nextJson().get("recovered").asBoolean());
            assertEquals(event("r1", 2, 2), ws.next());
        }
    }

    @Test
    void anInstanceCutOffFromRedisCatchesUpWithoutForceSync() throws Exception {
        try (TcpRelay relay = new TcpRelay(redis.port());
             TestServer a = instance("a", relay.redisUrl()); TestServer b = instance("b", redis.url());
             WsTestClient ws = connect(a, "pia", "p1")) {
            subscribe(ws, "p1");
            publish(b, "p1", 1);
            assertEquals(event("p1", 1, 1), ws.next());
            relay.cut();
            awaitReady(a, false);
            publish(b, "p1", 2); // A does not hear these
            publish(b, "p1", 3);
            relay.heal();
            awaitReady(a, true);
            assertEquals(event("p1", 2, 2), ws.next(), "read from the history, not force_sync");
            assertEquals(event("p1", 3, 3), ws.next());
            publish(b, "p1", 4);
            assertEquals(event("p1", 4, 4), ws.next());
            assertNull(ws.poll(Duration.ofMillis(300)), "no force_sync, nothing twice");
        }
    }

    @Test
    void aRedisRestartedEmptyStartsANewEpoch() throws Exception {
        try (RedisServer own = RedisServer.start(); TestServer a = instance("a", own.url());
             WsTestClient ws = connect(a, "eve", "e1")) {
            String epoch = subscribe(ws, "e1");
            publish(a, "e1", 1);
            assertEquals(event("e1", 1, 1), ws.next());
            own.kill();
            own.restart(); // nothing kept: the history and the functions are gone
            JsonNode forceSync = ws.nextJson();
            assertEquals("force_sync", forceSync.get("type").asText(), forceSync.toString());
            String fresh = forceSync.get("epoch").asText();
            assertNotEquals(epoch, fresh, "the history was lost: a new epoch");
            assertEquals(0, forceSync.get("offset").asLong());
            awaitReady(a, true);
            publish(a, "e1", 2);
            assertEquals(event("e1", 2, 1), ws.next(), "offsets start over in the new epoch");
            try (WsTestClient late = connect(a, "eve", "e1")) {
                late.send(since("e1", epoch, 1));
                JsonNode subscribed = late.nextJson();
                assertFalse(subscribed.get("recovered").asBoolean(), "a position of the lost epoch is not recovered");
                assertEquals(fresh, subscribed.get("epoch").asText());
                assertEquals("force_sync", late.nextJson().get("type").asText());
            }
        }
    }

    static void awaitReady(TestServer s, boolean ready) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            if ((s.get("/readyz", null).statusCode() == 200) == ready) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("/readyz never became " + (ready ? "200" : "503"));
    }
}
