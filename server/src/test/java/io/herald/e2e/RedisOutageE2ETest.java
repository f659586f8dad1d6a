package io.herald.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.herald.testing.TwoInstancesOnRedis;
import io.herald.testing.TestServer;
import io.herald.testing.WsTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static io.herald.e2e.RedisBrokerE2ETest.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * §10 and §9 {@code /readyz}: Redis is killed with SIGKILL while events flow and started again. The instances
 * say they are not ready and refuse publishes with 503 meanwhile; on recovery they are ready again, every
 * subscribed sync and realtime connection gets {@code force_sync} for each of its shares, and delivery resumes.
 */
class RedisOutageE2ETest {
    @RegisterExtension
    static final TwoInstancesOnRedis on = new TwoInstancesOnRedis();

    @Test
    void redisKilledAndRestartedUnderFanOut() throws Exception {
        String syncToken = on.a().token("alice", List.of("s1", "s2"), List.of("d1"), List.of());
        WsTestClient sync = WsTestClient.connect(on.a().ws("/api/v1/sync/ws/d1?token=" + syncToken));
        sync.send("{\"type\":\"subscribe\"}");
        assertEquals("{\"type\":\"subscribed\",\"shares\":[\"s1\",\"s2\"]}", sync.next());
        WsTestClient realtime = RealtimeE2ETestSupport.realtime(on.a(), "bob", "s1", "s3");
        WsTestClient onB = RealtimeE2ETestSupport.realtime(on.b(), "carol", "s3");
        assertEquals(200, on.a().get("/readyz", null).statusCode());

        // A fan-out runs through the outage: instance B publishes to s1 and s3 every 5 ms.
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger accepted = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        Set<String> refusalBodies = java.util.concurrent.ConcurrentHashMap.newKeySet();
        Thread publisher = new Thread(() -> {
            int n = 0;
            while (running.get()) {
                String share = n % 2 == 0 ? "s1" : "s3";
                HttpResponse<String> r = on.b().post("/api/v1/publish", on.b().publisherToken(),
                        "{\"topic\":\"share:" + share + "\",\"event_type\":\"file_created\",\"data\":{\"n\":" + n++ + "}}");
                if (r.statusCode() == 202) {
                    accepted.incrementAndGet();
                } else {
                    refused.incrementAndGet();
                    refusalBodies.add(r.statusCode() + " " + r.body());
                }
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "fanout-publisher");
        publisher.start();
        try {
            awaitTrue(() -> accepted.get() > 20, "the fan-out is running");
            on.redis().kill();
            awaitTrue(() -> on.a().get("/readyz", null).statusCode() == 503 && on.b().get("/readyz", null).statusCode() == 503,
                    "/readyz answers 503 while Redis is away");
            awaitTrue(() -> refused.get() > 5, "publishes fail while Redis is away");
            // §10: a connection opened now cannot be promised its implicit topics (user:, broadcast, sync's
            // shares): it closes 1013 so that the client reconnects, instead of staying open without them.
            try (WsTestClient late = WsTestClient.connect(on.a().ws("/api/v1/realtime/ws?token=" + on.a().userToken("eve", "s9")));
                 WsTestClient lateSync = WsTestClient.connect(on.a().ws("/api/v1/sync/ws/d7?token="
                         + on.a().token("zed", List.of("s7"), List.of("d7"), List.of())))) {
                assertEquals("connected", late.nextJson().get("type").asText());
                assertEquals(new WsTestClient.Closed(1013, "try again later"), late.awaitClose());
                lateSync.send("{\"type\":\"subscribe\"}");
                assertEquals(new WsTestClient.Closed(1013, "try again later"), lateSync.awaitClose());
            }
            // Socket.IO too: no CONNECT answer without user:, the transport closes 1013 and the client reconnects.
            try (WsTestClient lateSio = WsTestClient.connect(on.a().ws("/socket.io/?EIO=4&transport=websocket&token="
                    + on.a().userToken("sam")))) {
                assertTrue(lateSio.next().startsWith("0{"), "the Engine.IO OPEN");
                lateSio.send("40");
                assertEquals(new WsTestClient.Closed(1013, "try again later"), lateSio.awaitClose());
            }
            assertTrue(refusalBodies.stream().allMatch(s -> s.startsWith("503 ") && s.contains("\"unavailable\"")),
                    "publishes during the outage fail with 503 and a clear message: " + refusalBodies);
            Thread.sleep(300);
            on.redis().restart();
            awaitTrue(() -> on.a().get("/readyz", null).statusCode() == 200 && on.b().get("/readyz", null).statusCode() == 200,
                    "/readyz answers 200 once Redis is back and subscriptions are restored");
            int acceptedAtRecovery = accepted.get();

            // §10: every subscribed connection gets force_sync for each of its shares.
            assertEquals(Set.of("s1", "s2"), forceSyncs(sync, "event_type"), "sync connection");
            assertEquals(Set.of("s1", "s3"), forceSyncs(realtime, "type"), "realtime connection on A");
            assertEquals(Set.of("s3"), forceSyncs(onB, "type"), "realtime connection on B");

            // Delivery resumes: a marker published after recovery reaches both instances' clients.
            awaitTrue(() -> accepted.get() > acceptedAtRecovery + 5, "publishes are accepted again");
            on.b().publish("{\"topic\":\"share:s3\",\"event_type\":\"after_outage\"}");
            assertTrue(until(realtime, "after_outage"), "A's client receives events again");
            assertTrue(until(onB, "after_outage"), "B's client receives events again");
        } finally {
            running.set(false);
            publisher.join(5000);
            sync.close();
            realtime.close();
            onB.close();
        }
    }

    @Test
    void aSocketIoLongPollingSessionIsToldToResyncToo() throws Exception {
        // §10 for Socket.IO on long-polling: the session is not a WebSocket connection, but it is told all the same.
        TestServer a = on.a();
        HttpResponse<String> open = SocketIoRelayE2ETest.get(a, "EIO=4&transport=polling&token=" + a.userToken("pam"));
        String sid = WsTestClient.json(open.body().substring(1)).get("sid").asText();
        String q = "EIO=4&transport=polling&sid=" + sid;
        assertEquals("ok", SocketIoRelayE2ETest.post(a, q, "40").body());
        assertTrue(SocketIoRelayE2ETest.get(a, q).body().startsWith("40{"));
        on.redis().kill();
        awaitTrue(() -> a.get("/readyz", null).statusCode() == 503, "outage seen");
        on.redis().restart();
        awaitTrue(() -> a.get("/readyz", null).statusCode() == 200, "back");
        String body = SocketIoRelayE2ETest.get(a, q).body();
        assertTrue(body.contains("42[\"force_sync\"]"), "the poll after recovery carries force_sync: " + body);
        assertEquals("ok", SocketIoRelayE2ETest.post(a, q, "1").body());
    }

    @Test
    void aFrozenRedisIsSeenAsAnOutageToo() throws Exception {
        // A half-open connection: Redis stops answering (SIGSTOP) but no FIN or RST ever comes.
        WsTestClient realtime = RealtimeE2ETestSupport.realtime(on.a(), "dora", "s7");
        try {
            awaitTrue(() -> on.a().get("/readyz", null).statusCode() == 200, "ready");
            long frozenAt = System.nanoTime();
            on.redis().freeze();
            try {
                awaitTrue(() -> on.a().get("/readyz", null).statusCode() == 503, "the health check notices the silence");
                long detectedMillis = (System.nanoTime() - frozenAt) / 1_000_000;
                assertTrue(detectedMillis < 5_000, "noticed after " + detectedMillis + " ms");
                HttpResponse<String> r = on.b().post("/api/v1/publish", on.b().publisherToken(),
                        "{\"topic\":\"share:s7\",\"event_type\":\"lost\"}");
                assertEquals(503, r.statusCode(), "a publish that Redis does not take fails: " + r.body());
            } finally {
                on.redis().thaw();
            }
            awaitTrue(() -> on.a().get("/readyz", null).statusCode() == 200, "ready again once Redis answers");
            assertEquals(Set.of("s7"), forceSyncs(realtime, "type"));
            on.b().publish("{\"topic\":\"share:s7\",\"event_type\":\"after_freeze\"}");
            assertTrue(until(realtime, "after_freeze"));
        } finally {
            realtime.close();
        }
    }

    /** Reads frames (skipping the running fan-out's events) until the force_syncs stop coming; their shares. */
    private static Set<String> forceSyncs(WsTestClient ws, String typeField) throws InterruptedException {
        Set<String> shares = new HashSet<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        long quietUntil = Long.MAX_VALUE;
        while (System.nanoTime() < Math.min(deadline, quietUntil)) {
            String frame = ws.poll(Duration.ofMillis(100));
            if (frame == null) {
                continue;
            }
            JsonNode j = WsTestClient.json(frame);
            if (j.has(typeField) && "force_sync".equals(j.get(typeField).asText())) {
                if (j.hasNonNull("share_id")) {
                    shares.add(j.get("share_id").asText());
                }
                quietUntil = System.nanoTime() + Duration.ofMillis(500).toNanos();
            }
        }
        return shares;
    }

    private static boolean until(WsTestClient ws, String type) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            String frame = ws.poll(Duration.ofMillis(100));
            if (frame != null && frame.contains("\"" + type + "\"")) {
                return true;
            }
        }
        fail("no " + type + " frame");
        return false;
    }
}
