package io.herald.broker.redis;

import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.models.partitions.Partitions;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode.NodeFlag;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Where channels are placed on a cluster (§12: the sharded adapter's on replicas, Herald's topics on masters). */
class ClusterRoutesTest {
    static RedisClusterNode master(String id, int port, int from, int to) {
        List<Integer> slots = IntStream.rangeClosed(from, to).boxed().toList();
        return new RedisClusterNode(RedisURI.create("127.0.0.1", port), id, true, null, 0, 0, 0, new ArrayList<>(slots),
                Set.of(NodeFlag.MASTER, NodeFlag.UPSTREAM));
    }

    static RedisClusterNode replica(String id, int port, RedisClusterNode of, NodeFlag... more) {
        Set<NodeFlag> flags = new java.util.HashSet<>(Set.of(NodeFlag.SLAVE, NodeFlag.REPLICA));
        flags.addAll(List.of(more));
        return new RedisClusterNode(RedisURI.create("127.0.0.1", port), id, true, of.getNodeId(), 0, 0, 0,
                new ArrayList<>(), flags);
    }

    static Partitions partitions(RedisClusterNode... nodes) {
        Partitions p = new Partitions();
        p.addAll(List.of(nodes));
        p.updateCache();
        return p;
    }

    @Test
    void topicsStayOnTheirMaster() {
        RedisClusterNode m = master("m1", 7001, 0, 16383);
        Partitions p = partitions(m, replica("r1", 7002, m));
        assertEquals(List.of(m), ClusterRoutes.MASTER.nodesOf(p, m));
    }

    @Test
    void adapterChannelsGoToLiveReplicasInAStableOrder() {
        RedisClusterNode m = master("m1", 7001, 0, 16383);
        RedisClusterNode b = replica("b", 7003, m);
        RedisClusterNode a = replica("a", 7002, m);
        RedisClusterNode failed = replica("c", 7004, m, NodeFlag.FAIL);
        RedisClusterNode suspect = replica("d", 7005, m, NodeFlag.EVENTUAL_FAIL);
        RedisClusterNode other = replica("e", 7006, master("m2", 7010, 0, 0));
        assertEquals(List.of(a, b), ClusterRoutes.REPLICA_FIRST.nodesOf(partitions(m, b, failed, a, suspect, other), m),
                "live replicas of this master only, whatever the listing order");
        assertEquals(List.of(a, b), ClusterRoutes.REPLICA_FIRST.nodesOf(partitions(a, suspect, m, other, b), m));
    }

    @Test
    void aShardWithoutALiveReplicaFallsBackToItsMaster() {
        RedisClusterNode m = master("m1", 7001, 0, 16383);
        assertEquals(List.of(m), ClusterRoutes.REPLICA_FIRST.nodesOf(partitions(m), m));
        assertEquals(List.of(m), ClusterRoutes.REPLICA_FIRST.nodesOf(partitions(m, replica("r", 7002, m, NodeFlag.FAIL)), m));
    }
}
