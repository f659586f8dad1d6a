package io.herald.testing;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import java.util.function.Function;

/**
 * A Redis Cluster of three masters (with {@link #startWithReplicas()} each with a replica), each a real {@code redis-server} started by the test on a free
 * port, joined with {@code redis-cli --cluster create}. A master can be killed and restarted on its port with
 * its node file, and slots can be moved between masters.
 */
public final class RedisCluster implements AutoCloseable {
    private final List<RedisServer> nodes = new ArrayList<>();

    private RedisCluster() {
    }

    public static RedisCluster start() {
        return start(0);
    }

    /** Three masters and a replica of each (six nodes), as production clusters run. */
    public static RedisCluster startWithReplicas() {
        return start(1);
    }

    private static RedisCluster start(int replicas) {
        RedisCluster c = new RedisCluster();
        Path dir = RedisServer.tempDir();
        try {
            for (int i = 0; i < 3 * (1 + replicas); i++) {
                c.nodes.add(RedisServer.clusterNode(dir));
            }
            List<String> cmd = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
            for (RedisServer n : c.nodes) {
                cmd.add("127.0.0.1:" + n.port());
            }
            cmd.addAll(List.of("--cluster-replicas", Integer.toString(replicas), "--cluster-yes"));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new IllegalStateException("redis-cli --cluster create failed: " + out);
            }
            c.awaitHealthy();
            return c;
        } catch (IOException e) {
            c.close();
            throw new IllegalStateException("redis-cli is not installed (apt-get install redis-server)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            c.close();
            throw new IllegalStateException(e);
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
    }

    public List<RedisServer> nodes() {
        return nodes;
    }

    /** {@code redis-cluster://127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3} for {@code HERALD_BROKER}. */
    public String url() {
        StringJoiner j = new StringJoiner(",", "redis-cluster://", "");
        nodes.forEach(n -> j.add("127.0.0.1:" + n.port()));
        return j.toString();
    }

    /**
     * Waits until every running node reports {@code cluster_state:ok} and agrees on all 16384 slots, and every
     * replica's link to its master is up.
     */
    public void awaitHealthy() {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            boolean ok = true;
            for (RedisServer n : nodes) {
                String info = on(n, RedisCommands::clusterInfo);
                String replication = on(n, r -> r.info("replication"));
                last = info + replication;
                ok &= info.contains("cluster_state:ok") && info.contains("cluster_slots_ok:16384")
                        && (replication.contains("role:master") || replication.contains("master_link_status:up"));
            }
            if (ok) {
                return;
            }
            RedisServer.sleep(100);
        }
        throw new IllegalStateException("cluster not healthy: " + last);
    }

    /** The master that owns {@code slot} now, as the first node sees it. */
    public RedisServer ownerOf(int slot) {
        String myIdOwner = on(nodes.get(0), r -> {
            for (Object range : r.clusterSlots()) {
                List<?> l = (List<?>) range;
                long from = (Long) l.get(0);
                long to = (Long) l.get(1);
                if (slot >= from && slot <= to) {
                    List<?> master = (List<?>) l.get(2);
                    return master.get(1).toString();
                }
            }
            return null;
        });
        for (RedisServer n : nodes) {
            if (Integer.toString(n.port()).equals(myIdOwner)) {
                return n;
            }
        }
        throw new IllegalStateException("no owner for slot " + slot);
    }

    public String nodeId(RedisServer n) {
        return on(n, RedisCommands::clusterMyId);
    }

    /** Moves one (empty) slot from its master to {@code to}, the way resharding does. */
    public void moveSlot(int slot, RedisServer to) {
        RedisServer from = ownerOf(slot);
        String fromId = nodeId(from);
        String toId = nodeId(to);
        on(to, r -> r.clusterSetSlotImporting(slot, fromId));
        on(from, r -> r.clusterSetSlotMigrating(slot, toId));
        on(to, r -> r.clusterSetSlotNode(slot, toId));
        on(from, r -> r.clusterSetSlotNode(slot, toId));
        for (RedisServer n : nodes) {
            if (n != from && n != to) {
                on(n, r -> r.clusterSetSlotNode(slot, toId));
            }
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (ownerOf(slot) != to) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("slot " + slot + " did not move");
            }
            RedisServer.sleep(50);
        }
    }

    public <T> T on(RedisServer n, Function<RedisCommands<String, String>, T> work) {
        RedisClient client = RedisClient.create(n.url());
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            return work.apply(c.sync());
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    @Override
    public void close() {
        nodes.forEach(RedisServer::kill);
    }
}
