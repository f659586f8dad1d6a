package io.herald.broker.redis;

import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.models.partitions.Partitions;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Redis Cluster, broker thread only: which node's subscriber connection holds each wanted channel of one family
 * (Herald's topics under its prefix, or a Socket.IO adapter's channels, §12), and moving channels when the topology
 * changes. A channel lives where {@link Placement} puts its slot; {@link #rebalance} moves the ones whose place
 * changed (failover, resharding) and closes connections that hold nothing.
 */
final class ClusterRoutes {
    private static final Logger log = LoggerFactory.getLogger(ClusterRoutes.class);

    /** Where a shard's channels live. */
    interface Placement {
        /**
         * The nodes that may hold channels of {@code master}'s slots, in a stable order; a connection to each is kept
         * open, and each channel goes to a reachable one (by slot), or to the master when none is.
         */
        List<RedisClusterNode> nodesOf(Partitions partitions, RedisClusterNode master);
    }

    /** Herald's own topics: on the master that owns the slot. */
    static final Placement MASTER = (partitions, master) -> List.of(master);

    /**
     * On a live replica of the slot's master when there is one, else the master. Redis propagates sharded messages
     * to a shard's replicas, and an app counts its servers with {@code PUBSUB SHARDNUMSUB} on masters only, so a
     * subscriber on a replica hears the app without being counted among its servers.
     */
    static final Placement REPLICA_FIRST = (partitions, master) -> {
        List<RedisClusterNode> replicas = new ArrayList<>();
        for (RedisClusterNode n : partitions) {
            if (master.getNodeId().equals(n.getSlaveOf()) && n.getUri() != null && n.is(RedisClusterNode.NodeFlag.REPLICA)
                    && !n.is(RedisClusterNode.NodeFlag.FAIL) && !n.is(RedisClusterNode.NodeFlag.EVENTUAL_FAIL)
                    && !n.is(RedisClusterNode.NodeFlag.NOADDR) && !n.is(RedisClusterNode.NodeFlag.HANDSHAKE)) {
                replicas.add(n);
            }
        }
        if (replicas.isEmpty()) {
            return List.of(master);
        }
        replicas.sort((a, b) -> a.getNodeId().compareTo(b.getNodeId())); // the same one whatever the listing order
        return replicas;
    };

    private final String name;
    private final String prefix;
    private final Supplier<Partitions> partitions;
    private final Placement placement;
    private final Function<RedisURI, NodeSubscriptions> connect;
    /** Subscriber connections, keyed host:port of the node. */
    private final Map<String, NodeSubscriptions> nodes = new LinkedHashMap<>();
    /** The connection that holds each wanted channel (topic: the channel without the prefix). */
    private final Map<String, NodeSubscriptions> topicNode = new HashMap<>();

    /**
     * @param name    what these channels are, for the log
     * @param connect opens (and starts) a subscriber connection to a node named by the topology
     */
    ClusterRoutes(String name, String prefix, Supplier<Partitions> partitions, Placement placement,
                  Function<RedisURI, NodeSubscriptions> connect) {
        this.name = name;
        this.prefix = prefix;
        this.partitions = partitions;
        this.placement = placement;
        this.connect = connect;
    }

    /** The connection that holds (or is to hold) {@code topic}, or null while the topology is unknown. */
    NodeSubscriptions route(String topic) {
        NodeSubscriptions held = topicNode.get(topic);
        if (held != null) {
            return held;
        }
        NodeSubscriptions n = placed(topic, null);
        if (n != null) {
            topicNode.put(topic, n);
        }
        return n;
    }

    /** Forgets {@code topic}; returns the connection that held it, or null. */
    NodeSubscriptions remove(String topic) {
        return topicNode.remove(topic);
    }

    /** A subscriber connection to {@code node}, opened if there is none yet. */
    private NodeSubscriptions connection(RedisURI node) {
        return nodes.computeIfAbsent(key(node), k -> connect.apply(node));
    }

    Collection<NodeSubscriptions> connections() {
        return nodes.values();
    }

    /**
     * Where {@code topic} belongs now: a node of its shard that the placement allows and that does not seem down
     * (the topology may still list a node that just died), else its master. {@code current}, the connection holding it
     * (or null), keeps it while it is such a node: a replica that comes back or joins moves nothing already in place.
     */
    private NodeSubscriptions placed(String topic, NodeSubscriptions current) {
        Partitions p = partitions.get();
        if (p == null) {
            return null;
        }
        int slot = SlotHash.getSlot((prefix + topic).getBytes(StandardCharsets.UTF_8));
        RedisClusterNode master = p.getMasterBySlot(slot);
        if (master == null || master.getUri() == null) {
            return null;
        }
        List<RedisClusterNode> live = new ArrayList<>();
        for (RedisClusterNode n : placement.nodesOf(p, master)) {
            NodeSubscriptions c = nodes.get(key(n.getUri()));
            if (c != null && c == current && !c.unreachable()) {
                return current;
            }
            if (c == null || !c.unreachable()) {
                live.add(n);
            }
        }
        return connection((live.isEmpty() ? master : live.get(slot % live.size())).getUri());
    }

    /**
     * Opens a connection to every node the placement may use (ready before a channel is wanted there, and counted
     * by {@code /readyz} for Herald's topics), moves every channel whose place changed, each with its unconfirmed
     * promises and marked dropped (its confirmation on the new node is reported as a recovery: events may have passed
     * while it moved), re-asks Redis for channels it dropped on its own where they stay, and closes connections to
     * nodes the placement no longer uses once they hold nothing.
     */
    void rebalance() {
        Partitions p = partitions.get();
        if (p == null) {
            return;
        }
        Set<String> used = new HashSet<>();
        for (RedisClusterNode master : p) {
            if (master.is(RedisClusterNode.NodeFlag.UPSTREAM) && !master.getSlots().isEmpty() && master.getUri() != null) {
                for (RedisClusterNode n : placement.nodesOf(p, master)) {
                    used.add(key(n.getUri()));
                    connection(n.getUri());
                }
            }
        }
        List<String> moves = new ArrayList<>();
        for (Map.Entry<String, NodeSubscriptions> en : topicNode.entrySet()) {
            NodeSubscriptions now = placed(en.getKey(), en.getValue());
            if (now != null && now != en.getValue()) {
                moves.add(en.getKey());
            } else if (now != null) {
                now.resubscribe(en.getKey());
            }
        }
        for (String topic : moves) {
            NodeSubscriptions from = topicNode.get(topic);
            NodeSubscriptions to = placed(topic, from);
            List<CompletableFuture<Void>> waiting = from.release(topic);
            if (waiting == null) {
                topicNode.remove(topic);
                continue;
            }
            topicNode.put(topic, to);
            to.takeOver(topic, waiting);
            log.info("redis cluster: {} {} moved from {} to {}", name, topic, from.uri().getPort(), to.uri().getPort());
        }
        nodes.entrySet().removeIf(en -> {
            NodeSubscriptions n = en.getValue();
            if (!topicNode.containsValue(n) && !used.contains(en.getKey())) {
                n.close();
                return true;
            }
            return false;
        });
    }

    void close() {
        nodes.values().forEach(NodeSubscriptions::close);
        nodes.clear();
        topicNode.clear();
    }

    private static String key(RedisURI uri) {
        return uri.getHost() + ":" + uri.getPort();
    }
}
