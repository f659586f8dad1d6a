package io.herald.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.herald.testing.ServerLog;
import io.herald.testing.TwoInstancesOnRedis;
import io.herald.testing.TestServer;
import io.herald.testing.WsTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;

import static io.herald.e2e.RealtimeE2ETestSupport.realtime;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Two Herald instances on one real Redis (§1 {@code HERALD_BROKER=redis://}, §3 Redis ingress, §9 cluster
 * stats): what is published on one instance, or {@code PUBLISH}ed by a backend, reaches clients of the other,
 * in order; each instance is subscribed in Redis to exactly what its clients listen to, in batches.
 */
class RedisBrokerE2ETest {
    @RegisterExtension
    static final TwoInstancesOnRedis on = new TwoInstancesOnRedis();

    @Test
    void eventsPublishedOnBReachAClientOfAInOrderAndSoDoesABackendsOwnPublish() {
        try (WsTestClient ws = realtime(on.a(), "alice", "s1")) {
            for (int batch = 0; batch < 5; batch++) {
                StringBuilder body = new StringBuilder("{\"events\":[");
                for (int i = 0; i < 100; i++) {
                    int n = batch * 100 + i;
                    body.append(i == 0 ? "" : ",").append("{\"topic\":\"share:s1\",\"event_type\":\"file_created\",\"data\":{\"n\":")
                            .append(n).append("}}");
                }
                HttpResponse<String> r = on.b().post("/api/v1/publish", on.b().publisherToken(), body.append("]}").toString());
                assertEquals(202, r.statusCode(), r.body());
            }
            // §3 Redis ingress: a backend PUBLISHes the envelope itself.
            on.redis().with(r -> r.publish("herald:share:s1",
                    "{\"topic\":\"share:s1\",\"event_type\":\"file_deleted\",\"data\":{\"id\":\"f1\"}}"));
            for (int n = 0; n < 500; n++) {
                JsonNode e = ws.nextJson();
                assertEquals("file_created", e.get("type").asText());
                assertEquals(n, e.get("data").get("n").asInt(), "events of one topic keep their order (§3)");
            }
            assertEquals("{\"type\":\"file_deleted\",\"share_id\":\"s1\",\"data\":{\"id\":\"f1\"}}", ws.next());
        }
    }

    /**
     * Topic channels only: each instance also holds its control channel (§7 polling relay), {@code herald:control:<tag>},
     * and hears the control API's bus, {@code herald:control:bus} (§12).
     */
    static Set<String> topicChannels() {
        Set<String> out = new HashSet<>(on.redis().channels());
        out.removeIf(c -> c.startsWith("herald:control:"));
        return out;
    }

    @Test
    void anInstanceIsSubscribedInRedisToExactlyWhatItsClientsListenTo() throws Exception {
        awaitTrue(() -> topicChannels().isEmpty(), "no client, no subscription");
        assertEquals(3, on.redis().channels().stream().filter(c -> c.startsWith("herald:control:")).count(),
                "one control channel per instance and the control API's bus (§12), nothing else");
        awaitTrue(() -> on.redis().numsub("herald:control:bus") == 2, "both instances hear the bus");
        try (WsTestClient ws = realtime(on.a(), "bob", "s2")) {
            assertEquals(1, on.redis().numsub("herald:share:s2"), "A only; B has no client on s2");
            assertEquals(Set.of("herald:share:s2", "herald:user:bob", "herald:broadcast"), topicChannels(),
                    "nothing that no client asked for");
            try (WsTestClient other = realtime(on.b(), "carol", "s2")) {
                assertEquals(2, on.redis().numsub("herald:share:s2"), "one subscription per instance, not per client");
                try (WsTestClient third = realtime(on.a(), "dave", "s2")) {
                    assertEquals(2, on.redis().numsub("herald:share:s2"));
                }
            }
            ws.send("{\"action\":\"unsubscribe\",\"share_id\":\"s2\"}");
            assertEquals("{\"type\":\"unsubscribed\",\"share_id\":\"s2\"}", ws.next());
            awaitTrue(() -> on.redis().numsub("herald:share:s2") == 0, "the last client left: unsubscribed in Redis");
            assertEquals(Set.of("herald:user:bob", "herald:broadcast"), topicChannels());
        }
        awaitTrue(() -> topicChannels().isEmpty(), "the last connection closed: nothing stays subscribed");
    }

    @Test
    void aBurstOfSubscriptionsIsBatchedIntoFewRedisCommands() {
        // Four clients with 75 shares each (under the §8.4 burst of 100 commands) subscribe all at once.
        int clients = 4;
        int perClient = 75;
        List<WsTestClient> open = new ArrayList<>();
        try {
            List<List<String>> commands = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                String[] ids = new String[perClient];
                List<String> cmds = new ArrayList<>();
                for (int i = 0; i < perClient; i++) {
                    ids[i] = "burst" + c + "-" + i;
                    cmds.add("{\"action\":\"subscribe\",\"share_id\":\"" + ids[i] + "\"}");
                }
                WsTestClient ws = WsTestClient.connect(on.a().ws("/api/v1/realtime/ws?token=" + on.a().userToken("erin", ids)));
                assertEquals("connected", ws.nextJson().get("type").asText());
                open.add(ws);
                commands.add(cmds);
            }
            long before = on.redis().calls("subscribe");
            for (int c = 0; c < clients; c++) {
                open.get(c).sendAll(commands.get(c));
            }
            for (WsTestClient ws : open) {
                Set<String> confirmed = new HashSet<>();
                while (confirmed.size() < perClient) {
                    JsonNode r = ws.nextJson();
                    assertEquals("subscribed", r.get("type").asText(), r.toString());
                    confirmed.add(r.get("share_id").asText());
                }
            }
            long used = on.redis().calls("subscribe") - before;
            // One command per round trip while subscribes keep coming: a few dozen on a busy 2-core box, never
            // one per subscriber (300).
            assertTrue(used <= 100, clients * perClient + " first subscribers took " + used + " SUBSCRIBE commands");
            assertEquals(1, on.redis().numsub("herald:share:burst3-74"));
            // Every confirmation is a promise (§3): a share confirmed last receives what is published now.
            on.b().publish("{\"topic\":\"share:burst3-74\",\"event_type\":\"x\"}");
            assertEquals("{\"type\":\"x\",\"share_id\":\"burst3-74\"}", open.get(3).next());
        } finally {
            open.forEach(WsTestClient::close);
        }
    }

    @Test
    void redisMessagesThatAreNotEnvelopesOfTheirChannelAreDroppedAndDeliveryGoesOn() {
        try (WsTestClient ws = realtime(on.a(), "frank", "s4")) {
            on.redis().with(r -> {
                r.publish("herald:share:s4", "not json");
                r.publish("herald:share:s4", "{\"topic\":\"share:other\",\"event_type\":\"leak\"}");
                r.publish("herald:share:s4", "{\"event_type\":\"no-topic\"}");
                r.publish("herald:share:s4", "{\"topic\":\"share:s4\",\"event_type\":\"ok\"}");
            });
            assertEquals("{\"type\":\"ok\",\"share_id\":\"s4\"}", ws.next(),
                    "another topic's envelope must never reach this channel's subscribers");
            assertNull(ws.poll(Duration.ofMillis(200)));
        } catch (InterruptedException e) {
            fail(e);
        }
    }

    @Test
    void clusterStatsSumTheLiveInstances() throws Exception {
        try (WsTestClient x = realtime(on.a(), "gina", "s5"); WsTestClient y = realtime(on.b(), "hank", "s5");
             WsTestClient z = realtime(on.b(), "ivan", "s6")) {
            JsonNode[] stats = new JsonNode[1];
            awaitTrue(() -> {
                HttpResponse<String> r = on.a().get("/api/v1/realtime/stats?scope=cluster", on.a().adminToken());
                assertEquals(200, r.statusCode(), r.body());
                stats[0] = WsTestClient.json(r.body());
                return stats[0].get("instances").size() == 2 && stats[0].get("connections").get("total").asInt() == 3;
            }, "both instances' figures within one report period");
            JsonNode s = stats[0];
            assertEquals("a", s.get("instance").asText());
            assertEquals(3, s.get("connections").get("realtime").asInt());
            assertEquals(3, s.get("users").asInt());
            assertEquals("redis", s.get("broker").get("type").asText());
            assertTrue(s.get("broker").get("connected").asBoolean());
            Set<String> names = new HashSet<>();
            s.get("instances").forEach(i -> names.add(i.get("instance").asText()));
            assertEquals(Set.of("a", "b"), names);
            HttpResponse<String> own = on.a().get("/api/v1/realtime/stats", on.a().adminToken());
            assertEquals(1, WsTestClient.json(own.body()).get("connections").get("total").asInt(), "without scope: this instance");
            assertEquals(400, on.a().get("/api/v1/realtime/stats?scope=galaxy", on.a().adminToken()).statusCode());
        }
    }

    /**
     * §3 Redis ingress, §9: an envelope past a parser limit (nesting, number length, name length) is dropped with
     * one short log line, no stack trace, and the subscription goes on: the next event still arrives.
     */
    @Test
    void anEnvelopePastAParserLimitIsDroppedWithOneShortLogLine() throws Exception {
        String head = "{\"topic\":\"share:s1\",\"event_type\":\"x\",\"data\":";
        List<String> bad = List.of(head + "[".repeat(69) + "]".repeat(69) + "}", head + "1".repeat(1200) + "}",
                head + "{\"" + "n".repeat(60_000) + "\":1}}");
        String log;
        try (WsTestClient ws = realtime(on.a(), "alice", "s1")) {
            log = ServerLog.during(() -> {
                on.redis().with(r -> {
                    bad.forEach(b -> r.publish("herald:share:s1", b));
                    r.publish("herald:share:s1", "{\"topic\":\"share:s1\",\"event_type\":\"file_deleted\",\"data\":1}");
                });
                assertEquals("{\"type\":\"file_deleted\",\"share_id\":\"s1\",\"data\":1}", ws.next());
            });
        }
        List<String> dropped = log.lines().filter(l -> l.contains("redis ingress: dropped")).toList();
        assertEquals(1, dropped.size(), log); // one line per 10 s at most, whatever the rate
        assertTrue(dropped.get(0).contains("herald:share:s1: JSON breaks a parser limit: "), dropped.get(0));
        assertTrue(dropped.get(0).length() < 300, dropped.get(0));
        assertFalse(log.contains("Exception"), log);
        assertFalse(log.contains("\tat "), "no stack trace: " + log);
    }

    static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return;
            }
            Thread.sleep(20);
        }
        fail("timed out: " + what);
    }
}
