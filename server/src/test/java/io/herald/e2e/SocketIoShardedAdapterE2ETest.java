package io.herald.e2e;

import io.herald.config.ConfigKey;
import io.herald.testing.NodeBackend;
import io.herald.testing.RedisCluster;
import io.herald.testing.RedisServer;
import io.herald.testing.SocketIoNodeClient;
import io.herald.testing.TestServer;
import io.lettuce.core.cluster.SlotHash;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.LongPredicate;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * §12 with the sharded adapter ({@code createShardedAdapter}: {@code SPUBLISH} to {@code socket.io#/#} and, for one
 * room, {@code socket.io#/#{room}#}) on a Redis Cluster of three masters with a replica each: Herald hears the main
 * channel and the rooms of its own connections on replicas, where the app's {@code PUBSUB SHARDNUMSUB} (masters
 * only) does not count it; {@link SocketIoAppContract} holds what the app's clients see.
 */
class SocketIoShardedAdapterE2ETest extends SocketIoAppContract {
    static final String MAIN = "socket.io#/#";
    RedisCluster cluster;

    @BeforeAll
    void start() {
        cluster = RedisCluster.startWithReplicas();
        app = NodeBackend.withShardedSocketIoApp(cluster.nodes().stream().map(RedisServer::port).toList(), "socket.io");
        herald = TestServer.start(b -> b.set(ConfigKey.BROKER, cluster.url())
                .set(ConfigKey.AUTH_PROXY, app.authUrl())
                .set(ConfigKey.SOCKETIO_ADAPTER, "socket.io"));
        awaitSubscribers(MAIN, n -> n == 2, "the app and Herald listen on the main channel");
    }

    @AfterAll
    void stop() {
        herald.close();
        app.close();
        cluster.close();
    }

    /** {@code PUBSUB SHARDNUMSUB channel} on each running node, masters and replicas. */
    Map<RedisServer, Long> subscribers(String channel) {
        Map<RedisServer, Long> out = new java.util.LinkedHashMap<>();
        for (RedisServer n : cluster.nodes()) {
            try {
                out.put(n, cluster.on(n, r -> (Long) r.dispatch(io.lettuce.core.protocol.CommandType.PUBSUB,
                        new io.lettuce.core.output.ArrayOutput<>(io.lettuce.core.codec.StringCodec.UTF8),
                        new io.lettuce.core.protocol.CommandArgs<>(io.lettuce.core.codec.StringCodec.UTF8)
                                .add("SHARDNUMSUB").add(channel)).get(1)));
            } catch (io.lettuce.core.RedisConnectionException down) {
                // a node the test killed
            }
        }
        return out;
    }

    long total(String channel) {
        return subscribers(channel).values().stream().mapToLong(Long::longValue).sum();
    }

    void awaitSubscribers(String channel, LongPredicate ok, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!ok.test(total(channel)) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        assertEquals(true, ok.test(total(channel)), what + ": " + subscribers(channel).values());
    }

    @Test
    void heraldListensOnReplicasWhereTheAppDoesNotCountIt() {
        RedisServer master = cluster.ownerOf(SlotHash.getSlot(MAIN.getBytes(StandardCharsets.UTF_8)));
        assertEquals(1L, subscribers(MAIN).get(master), "on the master only the app itself");
        assertEquals(2L, total(MAIN), "and Herald on the shard's replica");
    }

    /**
     * The replica Herald listens on dies: Herald hears the shard's master meanwhile (where the app counts it, the
     * lesser evil to losing every emit), and goes back to the replica once it has rejoined.
     */
    @Test
    void whenItsReplicaDiesHeraldListensElsewhereAndComesBack() throws Exception {
        RedisServer master = cluster.ownerOf(SlotHash.getSlot(MAIN.getBytes(StandardCharsets.UTF_8)));
        RedisServer replica = subscribers(MAIN).entrySet().stream()
                .filter(e -> e.getKey() != master && e.getValue() == 1L).map(Map.Entry::getKey).findFirst().orElseThrow();
        try (SocketIoNodeClient u6 = immich("ok:u6:sess-6", "websocket")) {
            replica.kill();
            try {
                awaitOn(master, MAIN, 2, "Herald moved to the master while its replica is down");
                app.emit("{\"op\":\"emit\",\"event\":\"while_down\",\"args\":[]}");
                u6.nextEvent("while_down");
            } finally {
                replica.restart();
                cluster.awaitHealthy();
            }
            awaitOn(master, MAIN, 1, "back on the replica once it rejoined");
            app.emit("{\"op\":\"emit\",\"event\":\"after\",\"args\":[]}");
            u6.nextEvent("after");
        }
    }

    void awaitOn(RedisServer node, String channel, long expected, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (subscribers(channel).get(node) != expected && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertEquals(expected, subscribers(channel).get(node), what);
    }

    @Test
    void aRoomIsHeardWhileAConnectionIsInIt() {
        String room = MAIN + "u5#";
        assertEquals(0L, total(room), "nobody in u5 yet");
        try (SocketIoNodeClient u5 = immich("ok:u5:sess-5", "websocket")) {
            assertEquals(1L, total(room), "subscribed before the client was told it is connected");
            assertEquals(1L, total(MAIN + "sess-5#"), "its session's room too");
            try (SocketIoNodeClient again = immich("ok:u5:sess-5b", "polling")) {
                assertEquals(1L, total(room), "one subscription however many connections are in the room");
            }
            assertEquals(1L, total(room));
        }
        awaitSubscribers(room, n -> n == 0, "the last connection left u5");
        awaitSubscribers(MAIN + "sess-5#", n -> n == 0, "and its session's room");
        assertEquals(List.of(2L), List.of(total(MAIN)), "the main channel stays");
    }
}
