package io.herald.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.herald.config.ConfigKey;
import io.herald.testing.RedisCluster;
import io.herald.testing.RedisServer;
import io.herald.testing.TestServer;
import io.herald.testing.WsTestClient;
import io.lettuce.core.cluster.SlotHash;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.herald.e2e.RedisBrokerE2ETest.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * §1 {@code HERALD_BROKER=redis-cluster://}: two instances on a three-master Redis Cluster started by the test,
 * with sharded pub/sub. Delivery crosses instances for topics on every master, and keeps working after a
 * master is restarted and after a topic's slot moves to another master (resubscription is tested, not assumed).
 */
class RedisClusterE2ETest {
    static RedisCluster cluster;
    static TestServer a;
    static TestServer b;
    /** One share per master, keyed by the master that owns its channel's slot at the start. */
    static final Map<RedisServer, String> shareOn = new LinkedHashMap<>();

    @BeforeAll
    static void start() {
        cluster = RedisCluster.start();
        a = TestServer.start(c -> c.set(ConfigKey.BROKER, cluster.url()).set(ConfigKey.INSTANCE_ID, "a"));
        b = TestServer.start(c -> c.set(ConfigKey.BROKER, cluster.url()).set(ConfigKey.INSTANCE_ID, "b"));
        for (int i = 0; shareOn.size() < 3; i++) {
            String share = "c" + i;
            shareOn.putIfAbsent(cluster.ownerOf(slot(share)), share);
        }
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] {a, b, cluster}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception ignored) {
                // best effort
            }
        }
    }

    static int slot(String share) {
        return SlotHash.getSlot("herald:share:" + share);
    }

    /**
     * §11 on a cluster: each topic's history keys are hash-tagged with its channel, so {@code herald_publish} writes
     * them and publishes (sharded) on the channel's own master; a client resumes on the other instance, on every
     * master.
     */
    @Test
    void historyLivesBesideEachTopicsChannelAndAClientResumesOnAnotherInstance() throws Exception {
        cluster.awaitHealthy();
        try (TestServer c = TestServer.start(x -> x.set(ConfigKey.BROKER, cluster.url()).set(ConfigKey.INSTANCE_ID, "c")
                .set(ConfigKey.HISTORY_SIZE, "20"));
             TestServer d = TestServer.start(x -> x.set(ConfigKey.BROKER, cluster.url()).set(ConfigKey.INSTANCE_ID, "d")
                     .set(ConfigKey.HISTORY_SIZE, "20"))) {
            for (String share : List.of("h0", "h1", "h2", "h3", "h4", "h5")) {
                String epoch;
                try (WsTestClient ws = WsTestClient.connect(c.ws("/api/v1/realtime/ws?token=" + c.userToken("hal", share)))) {
                    ws.nextJson();
                    ws.send("{\"action\":\"subscribe\",\"share_id\":\"" + share + "\"}");
                    epoch = ws.nextJson().get("epoch").asText();
                    d.publish("{\"topic\":\"share:" + share + "\",\"event_type\":\"x\",\"data\":1}");
                    assertEquals(1, ws.nextJson().get("offset").asLong(), share);
                }
                d.publish("{\"topic\":\"share:" + share + "\",\"event_type\":\"x\",\"data\":2}");
                try (WsTestClient ws = WsTestClient.connect(d.ws("/api/v1/realtime/ws?token=" + d.userToken("hal", share)))) {
                    ws.nextJson();
                    ws.send("{\"action\":\"subscribe\",\"share_id\":\"" + share + "\",\"since\":{\"epoch\":\""
                            + epoch + "\",\"offset\":1}}");
                    assertTrue(ws.nextJson().get("recovered").asBoolean(), share);
                    JsonNode missed = ws.nextJson();
                    assertEquals(2, missed.get("offset").asLong(), share);
                    assertEquals(2, missed.get("data").asInt(), share);
                }
            }
        }
    }

    @Test
    void deliveryCrossesInstancesOnEveryMasterAndSurvivesARestartAndASlotMove() throws Exception {
        List<String> shares = new ArrayList<>(shareOn.values());
        try (WsTestClient ws = RealtimeE2ETestSupport.realtime(a, "alice", shares.toArray(new String[0]))) {
            // Sharded pub/sub: each master holds the subscription of its own slots only.
            for (Map.Entry<RedisServer, String> e : shareOn.entrySet()) {
                long n = cluster.on(e.getKey(), r -> r.pubsubShardNumsub("herald:share:" + e.getValue())
                        .getOrDefault("herald:share:" + e.getValue(), 0L));
                assertEquals(1L, n, "SSUBSCRIBEd on the slot's master");
            }
            expectDelivered(ws, shares, "first");

            // A backend's own SPUBLISH on the owning master reaches the clients too (§3 Redis ingress).
            RedisServer owner = cluster.ownerOf(slot(shares.get(0)));
            cluster.on(owner, r -> r.spublish("herald:share:" + shares.get(0),
                    "{\"topic\":\"share:" + shares.get(0) + "\",\"event_type\":\"direct\"}"));
            assertEquals("{\"type\":\"direct\",\"share_id\":\"" + shares.get(0) + "\"}", ws.next());

            // One master is restarted: its topics are subscribed again and their clients told to resync (§10).
            RedisServer restarted = cluster.nodes().get(1);
            String shareOnRestarted = shareOn.get(restarted);
            restarted.kill();
            awaitTrue(() -> a.get("/readyz", null).statusCode() == 503, "A not ready while a master is down");
            restarted.restart();
            cluster.awaitHealthy();
            awaitTrue(() -> a.get("/readyz", null).statusCode() == 200 && b.get("/readyz", null).statusCode() == 200,
                    "ready again");
            Set<String> synced = forceSyncs(ws);
            assertTrue(synced.contains(shareOnRestarted), "force_sync for the restarted master's share: " + synced);
            expectDelivered(ws, shares, "after-restart");

            // A slot moves to another master (resharding): Redis drops the sharded subscription and Herald
            // follows the slot to its new owner.
            String moving = shareOn.get(cluster.nodes().get(0));
            RedisServer target = cluster.nodes().get(2);
            cluster.moveSlot(slot(moving), target);
            awaitTrue(() -> cluster.on(target, r -> r.pubsubShardNumsub("herald:share:" + moving)
                    .getOrDefault("herald:share:" + moving, 0L)) == 1L, "subscribed on the slot's new master");
            expectDelivered(ws, shares, "after-move");
        }
    }

    /** Publishes one event per share on B (retrying while the cluster settles) and expects all of them on A. */
    private static void expectDelivered(WsTestClient ws, List<String> shares, String round) throws Exception {
        for (String share : shares) {
            String body = "{\"topic\":\"share:" + share + "\",\"event_type\":\"" + round + "\"}";
            awaitTrue(() -> {
                HttpResponse<String> r = b.post("/api/v1/publish", b.publisherToken(), body);
                return r.statusCode() == 202;
            }, "publish accepted on " + share);
        }
        Set<String> got = new HashSet<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (got.size() < shares.size() && System.nanoTime() < deadline) {
            String frame = ws.poll(Duration.ofMillis(100));
            if (frame != null) {
                JsonNode j = WsTestClient.json(frame);
                if (round.equals(j.get("type").asText())) {
                    got.add(j.get("share_id").asText());
                }
            }
        }
        assertEquals(new HashSet<>(shares), got, round + ": every share's event reached A");
    }

    private static Set<String> forceSyncs(WsTestClient ws) throws InterruptedException {
        Map<String, Integer> seen = new HashMap<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (System.nanoTime() < deadline) {
            String frame = ws.poll(Duration.ofMillis(100));
            if (frame == null) {
                if (!seen.isEmpty()) {
                    break;
                }
                continue;
            }
            JsonNode j = WsTestClient.json(frame);
            if ("force_sync".equals(j.get("type").asText())) {
                seen.merge(j.get("share_id").asText(), 1, Integer::sum);
            }
        }
        if (seen.isEmpty()) {
            fail("no force_sync after the restart");
        }
        return seen.keySet();
    }
}
