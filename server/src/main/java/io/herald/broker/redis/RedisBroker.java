package io.herald.broker.redis;

import io.herald.broker.Broker;
import io.herald.broker.BrokerUnavailableException;
import io.herald.hub.Envelope;
import io.herald.hub.EnvelopeException;
import io.herald.hub.EnvelopeParser;
import io.herald.hub.EnvelopeWriter;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.models.partitions.Partitions;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The Redis broker (§1 {@code HERALD_BROKER=redis://…} or {@code redis-cluster://…}, §3, §10).
 *
 * <ul>
 *   <li>Publishing: an HTTP publish is written as its envelope to {@code {prefix}{topic}} with {@code PUBLISH}
 *       ({@code SPUBLISH} on a cluster) on one command connection, so events from one publisher keep their
 *       order; it completes when Redis took it and fails fast while Redis is unreachable (503, never silent).</li>
 *   <li>Receiving: the instance subscribes to exactly the topics its clients listen to ({@link #firstSubscriber},
 *       {@link #lastSubscriberLeft}), through {@link NodeSubscriptions}, which batches the commands. A message,
 *       from Herald or from a backend's own {@code PUBLISH}, is parsed on lettuce's I/O thread and handed to
 *       the hub, which gives each event loop one task: nothing blocks, and the order Redis gave is kept.</li>
 *   <li>Outage (§10): a lost or silent pub/sub connection makes the instance not ready ({@code /readyz} 503);
 *       on recovery the subscriptions are restored and the listener is told which topics may have missed
 *       events, so every connection on them gets {@code force_sync}.</li>
 *   <li>Cluster: sharded pub/sub, one subscriber connection per master; a topic lives on the master that owns
 *       its channel's slot, and moves when the slot does (failover, resharding, or Redis's own
 *       {@code sunsubscribe}) ({@link ClusterRoutes}).</li>
 *   <li>Socket.IO apps (§12): the standalone adapter's broadcasts through {@link SocketIoAdapterSubscriber}; the
 *       sharded adapter's on a cluster through a second {@link ClusterRoutes}, on replicas.</li>
 *   <li>Cluster stats (§9): {@link InstanceRegistry}.</li>
 * </ul>
 *
 * <p>Subscription state lives on one broker thread ({@code herald-redis}); lettuce callbacks hop onto it.
 */
public final class RedisBroker implements Broker {
    private static final Logger log = LoggerFactory.getLogger(RedisBroker.class);
    static final Duration HEALTH_INTERVAL = Duration.ofMillis(500);
    static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(2);
    private static final long REBALANCE_MILLIS = 1000;

    /** Control channels are {@code {prefix}control:{tag}}; no topic starts so (§3 topics have their own prefixes). */
    private final String controlPrefix;
    private final RedisEndpoints endpoints;
    private final String prefix;
    private final ClientResources resources;
    private final RedisClient subscriberClient;
    private final AbstractRedisClient commandClient;
    private final ScheduledExecutorService thread;
    private final EnvelopeParser parser = new EnvelopeParser();
    private final AtomicLong rejected = new AtomicLong();
    private final InstanceRegistry registry;
    /** §12: the Socket.IO adapter ingress, or null. */
    private volatile SocketIoAdapterSubscriber adapterSubscriber;
    /** §11 positions and history, or null when history is off. */
    private final RedisHistory history;
    /** Standalone: the one node's subscriber connection. Broker thread only. */
    private NodeSubscriptions standalone;
    /** Cluster: a subscriber connection per master and the one that holds each wanted topic. Broker thread only. */
    private final ClusterRoutes routes;
    /** Cluster with §12 {@code HERALD_SOCKETIO_ADAPTER}: where the sharded adapter's channels are heard, or null. */
    private ClusterRoutes adapterRoutes;
    /** With {@link #adapterRoutes}: local {@code user:}/{@code session:} topics per adapter room. Broker thread only. */
    private final Map<String, Integer> adapterRooms = new HashMap<>();

    private volatile Listener listener;
    private volatile StatefulConnection<byte[], byte[]> commandConnection;
    private volatile RedisClusterAsyncCommands<byte[], byte[]> commands;
    private volatile boolean ready;
    private volatile boolean closed;
    private CompletableFuture<Void> firstReady = new CompletableFuture<>();
    private long lastRejectLogMillis;

    /** Without history (§11 off). */
    public RedisBroker(String brokerUrl, String prefix, String instanceId) {
        this(brokerUrl, prefix, instanceId, 0, Duration.ZERO);
    }

    /** With §11 history of {@code historySize} events per topic (0: none), each kept {@code historyTtl}. */
    public RedisBroker(String brokerUrl, String prefix, String instanceId, int historySize, Duration historyTtl) {
        this.endpoints = RedisEndpoints.parse(brokerUrl);
        this.prefix = prefix;
        this.controlPrefix = prefix + RedisControlChannel.CHANNEL;
        this.resources = DefaultClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(2).build();
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "herald-redis");
            t.setDaemon(true);
            return t;
        });
        SocketOptions socket = SocketOptions.builder()
                .connectTimeout(Duration.ofSeconds(2))
                .tcpNoDelay(true)
                // A half-open connection (peer gone without FIN) is found within about 5 s by TCP itself;
                // the pub/sub PING health check finds it sooner.
                .keepAlive(SocketOptions.KeepAliveOptions.builder().enable()
                        .idle(Duration.ofSeconds(2)).interval(Duration.ofSeconds(1)).count(3).build())
                .build();
        this.subscriberClient = RedisClient.create(resources);
        subscriberClient.setOptions(ClientOptions.builder().autoReconnect(false).socketOptions(socket)
                .timeoutOptions(TimeoutOptions.enabled(COMMAND_TIMEOUT)).build());
        if (endpoints.cluster()) {
            RedisClusterClient c = RedisClusterClient.create(resources, endpoints.uris());
            c.setOptions(ClusterClientOptions.builder()
                    .autoReconnect(true)
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .socketOptions(socket)
                    .timeoutOptions(TimeoutOptions.enabled(COMMAND_TIMEOUT))
                    .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                            .enablePeriodicRefresh(Duration.ofSeconds(2))
                            .enableAllAdaptiveRefreshTriggers()
                            .build())
                    .build());
            this.commandClient = c;
        } else {
            RedisClient c = RedisClient.create(resources, endpoints.uris().get(0));
            c.setOptions(ClientOptions.builder()
                    .autoReconnect(true)
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .socketOptions(socket)
                    .timeoutOptions(TimeoutOptions.enabled(COMMAND_TIMEOUT))
                    .build());
            this.commandClient = c;
        }
        this.registry = new InstanceRegistry(prefix, instanceId, thread, () -> commands);
        this.history = historySize <= 0 ? null
                : new RedisHistory(prefix, historySize, historyTtl, endpoints.cluster(), () -> commands);
        this.routes = !endpoints.cluster() ? null : new ClusterRoutes("topic", prefix, this::partitions,
                ClusterRoutes.MASTER, uri -> started(newNode(withCredentials(uri), true)));
    }

    /**
     * §12 {@code HERALD_SOCKETIO_ADAPTER}: hands {@code handler} (on a lettuce thread) every broadcast a Socket.IO app
     * publishes through its Redis adapter under {@code key}; closed with the broker.
     */
    public CompletionStage<Void> receiveSocketIoAdapter(String key, Consumer<byte[]> handler) {
        if (endpoints.cluster()) {
            return receiveShardedAdapter(key, handler);
        }
        SocketIoAdapterSubscriber s = new SocketIoAdapterSubscriber(resources, endpoints.uris().get(0), key, handler);
        adapterSubscriber = s;
        return s.start();
    }

    /**
     * §12 on a Redis Cluster: {@code createShardedAdapter} {@code SPUBLISH}es to {@code {key}#/#} (everyone, several
     * rooms, requests) and, in its default dynamic mode, to {@code {key}#/#{room}#} for one room. Sharded pub/sub has
     * no patterns, so Herald {@code SSUBSCRIBE}s the main channel and the room of every local {@code user:} and
     * {@code session:} topic (a Socket.IO connection's rooms), each on a replica of its shard when there is one:
     * the app counts its servers with {@code PUBSUB SHARDNUMSUB} on masters, and Herald must not be among them or
     * its {@code fetchSockets} would wait for an answer that never comes.
     */
    private CompletionStage<Void> receiveShardedAdapter(String key, Consumer<byte[]> handler) {
        String channelPrefix = key + "#/#";
        CompletableFuture<Void> started = new CompletableFuture<>();
        if (!onThread(() -> {
            adapterRoutes = new ClusterRoutes("socket.io adapter channel", channelPrefix, this::partitions,
                    ClusterRoutes.REPLICA_FIRST, uri -> started(newAdapterNode(withCredentials(uri), channelPrefix, handler)));
            try {
                adapterRoutes.rebalance(); // connects to every replica (or replica-less master) first
            } catch (RuntimeException e) {
                log.warn("socket.io adapter: cannot read the cluster's topology yet ({}); retrying", e.toString());
            }
            wantAdapterMain(started);
        })) {
            started.completeExceptionally(new BrokerUnavailableException("broker closed"));
        }
        return started;
    }

    private boolean warnedAdapterOnMaster;

    /** Broker thread: the main channel ({@code ""} under the adapter prefix), until Redis confirms it. */
    private void wantAdapterMain(CompletableFuture<Void> started) {
        CompletableFuture<Void> p = new CompletableFuture<>();
        NodeSubscriptions n;
        try {
            n = wantAdapter("", p);
        } catch (RuntimeException e) {
            n = null;
            p.completeExceptionally(e);
        }
        if (n != null && isMaster(n.uri()) && !warnedAdapterOnMaster) {
            warnedAdapterOnMaster = true;
            log.warn("socket.io adapter: no live replica serves the shard of its main channel; subscribed on master {}, "
                    + "where the app's PUBSUB SHARDNUMSUB counts Herald, so its fetchSockets and acknowledged broadcasts "
                    + "wait for Herald until their timeout. Give each master a replica.", n.uri().getPort());
        }
        p.whenCompleteAsync((ok, failure) -> {
            if (failure == null) {
                started.complete(null);
            } else if (!closed) {
                thread.schedule(() -> wantAdapterMain(started), 1, TimeUnit.SECONDS);
            }
        }, thread);
    }

    /** Broker thread: wants an adapter channel where it lives now; null (and {@code p} failed) while that is unknown. */
    private NodeSubscriptions wantAdapter(String topic, CompletableFuture<Void> p) {
        NodeSubscriptions n = adapterRoutes.route(topic);
        if (n == null) {
            p.completeExceptionally(new BrokerUnavailableException("Redis Cluster topology not known yet"));
        } else {
            n.want(topic, p);
        }
        return n;
    }

    /** The adapter room a {@code user:} or {@code session:} topic stands for (§12: rooms by user id and session id). */
    private static String adapterRoom(String topic) {
        if (topic.startsWith("user:")) {
            return topic.substring(5);
        }
        return topic.startsWith("session:") ? topic.substring(8) : null;
    }

    /**
     * Broker thread: one more local topic in {@code room}; {@code p} completes once the room's channel is confirmed
     * (at once when it already is).
     */
    private void joinAdapterRoom(String room, CompletableFuture<Void> p) {
        adapterRooms.merge(room, 1, Integer::sum);
        wantAdapter(room + "#", p);
    }

    /** Broker thread: one local topic fewer in {@code room}; the last unsubscribes its channel. */
    private void leaveAdapterRoom(String room) {
        Integer left = adapterRooms.computeIfPresent(room, (r, n) -> n == 1 ? null : n - 1);
        if (left == null) {
            NodeSubscriptions n = adapterRoutes.remove(room + "#");
            if (n != null) {
                n.unwant(room + "#");
            }
        }
    }

    private NodeSubscriptions newAdapterNode(RedisURI uri, String channelPrefix, Consumer<byte[]> handler) {
        return new NodeSubscriptions(subscriberClient, uri, channelPrefix, true, thread, HEALTH_INTERVAL,
                new NodeSubscriptions.Events() {
                    @Override
                    public void message(byte[] channel, byte[] body) {
                        handler.accept(body);
                    }

                    @Override
                    public void recovered(Set<String> topics) {
                        // like the standalone ingress: the adapter keeps no history to resume from
                    }

                    @Override
                    public void stateChanged() {
                        rebalanceSoon();
                    }

                    @Override
                    public void moved(String topic) {
                        rebalanceSoon();
                    }
                });
    }

    @Override
    public io.herald.broker.history.History history() {
        return history;
    }

    @Override
    public String type() {
        return endpoints.cluster() ? "redis-cluster" : "redis";
    }


    @Override
    public CompletionStage<Void> start(Listener listener) {
        this.listener = listener;
        onThread(this::connectCommands);
        return firstReady;
    }

    private void connectCommands() {
        if (closed) {
            return;
        }
        CompletionStage<? extends StatefulConnection<byte[], byte[]>> connecting;
        if (endpoints.cluster()) {
            // lettuce needs the topology before a cluster connection; reading it asynchronously keeps this thread free
            RedisClusterClient c = (RedisClusterClient) commandClient;
            connecting = c.refreshPartitionsAsync().thenCompose(v -> c.connectAsync(ByteArrayCodec.INSTANCE));
        } else {
            connecting = ((RedisClient) commandClient).connectAsync(ByteArrayCodec.INSTANCE, endpoints.uris().get(0));
        }
        connecting.whenCompleteAsync((c, failure) -> {
            if (closed) {
                if (c != null) {
                    c.closeAsync();
                }
                return;
            }
            if (failure != null) {
                log.warn("redis {}: cannot connect ({}); retrying", endpoints.describe(), rootMessage(failure));
                thread.schedule(this::connectCommands, 500, TimeUnit.MILLISECONDS);
                return;
            }
            commandConnection = c;
            commands = endpoints.cluster()
                    ? ((io.lettuce.core.cluster.api.StatefulRedisClusterConnection<byte[], byte[]>) c).async()
                    : ((io.lettuce.core.api.StatefulRedisConnection<byte[], byte[]>) c).async();
            if (endpoints.cluster()) {
                rebalance();
                thread.scheduleWithFixedDelay(this::rebalance, REBALANCE_MILLIS, REBALANCE_MILLIS, TimeUnit.MILLISECONDS);
            } else {
                standalone = started(newNode(endpoints.uris().get(0), false));
            }
            thread.scheduleWithFixedDelay(this::updateReady, 100, 100, TimeUnit.MILLISECONDS);
            registry.start();
            if (history != null) {
                // §11: the function library every publish with history goes through (a Redis that restarts empty
                // loses it; RedisHistory loads it again when a call finds it missing)
                history.load().whenComplete((v, t) -> {
                    if (t != null) {
                        log.warn("redis {}: cannot load the history functions ({}); publishes with history will retry",
                                endpoints.describe(), rootMessage(t));
                    }
                });
            }
        }, thread);
    }

    private NodeSubscriptions newNode(RedisURI uri, boolean sharded) {
        return new NodeSubscriptions(subscriberClient, uri, prefix, sharded, thread, HEALTH_INTERVAL,
                new NodeSubscriptions.Events() {
                    @Override
                    public void message(byte[] channel, byte[] body) {
                        deliver(channel, body);
                    }

                    @Override
                    public void recovered(Set<String> topics) {
                        Listener l = listener;
                        if (l != null && !topics.isEmpty()) {
                            if (history != null) {
                                history.resume(topics, l); // §11: catch up from the history where it covers the gap
                            } else {
                                l.onRecovered(topics);
                            }
                        }
                        updateReady();
                    }

                    @Override
                    public void stateChanged() {
                        updateReady();
                        if (endpoints.cluster()) {
                            rebalanceSoon();
                        }
                    }

                    @Override
                    public void moved(String topic) {
                        rebalanceSoon();
                    }
                });
    }

    /** Ready (§9 {@code /readyz}) while commands flow and every subscriber connection is up and restored. */
    private void updateReady() {
        StatefulConnection<byte[], byte[]> c = commandConnection;
        boolean up = c != null && c.isOpen();
        if (routes == null) {
            up &= standalone != null && standalone.ready();
        } else {
            up &= !routes.connections().isEmpty();
            for (NodeSubscriptions n : routes.connections()) {
                up &= n.ready();
            }
        }
        if (up != ready) {
            ready = up;
            log.info("redis broker {}", up ? "ready" : "not ready: /readyz answers 503 and publishes fail until Redis is back");
        }
        if (up && !firstReady.isDone()) {
            firstReady.complete(null);
        }
    }

    // --- delivery ---

    /** Lettuce's I/O thread: parse and hand to the hub, which never blocks. */
    private void deliver(byte[] channel, byte[] body) {
        Listener l = listener;
        if (l == null) {
            return;
        }
        String channelName = new String(channel, StandardCharsets.UTF_8);
        if (channelName.startsWith(controlPrefix)) {
            Consumer<byte[]> r = controlHandlers.get(channelName);
            if (r != null) {
                r.accept(body);
            }
            return;
        }
        Envelope e;
        RedisHistory.Positioned position = RedisHistory.positionOf(body); // §11: written by herald_publish
        try {
            e = position == null ? parser.parseOne(body) : envelopeAfter(body, position.envelopeAt());
        } catch (EnvelopeException ex) {
            reject(channelName, ex.getMessage());
            return;
        }
        // §3 Redis ingress: the channel names the topic; an envelope naming another topic is refused rather
        // than delivered to the channel's subscribers (it could be another user's data).
        if (!channelName.equals(prefix + e.topic().name())) {
            reject(channelName, "envelope topic does not match the channel");
            return;
        }
        if (history != null && Envelope.positioned(e.topic())) {
            if (position != null) {
                history.received(e.topic().name(), e.at(position.position().epoch(), position.position().offset()), l);
                return;
            }
            history.receivedUnpositioned(e.topic().name()); // §11: after an outage, such a topic resyncs
        }
        l.onPublication(e);
    }

    private Envelope envelopeAfter(byte[] body, int start) throws EnvelopeException {
        byte[] envelope = new byte[body.length - start + 1];
        envelope[0] = '{';
        System.arraycopy(body, start, envelope, 1, body.length - start);
        return parser.parseOne(envelope);
    }

    private void reject(String channel, String why) {
        rejected.incrementAndGet();
        long now = System.currentTimeMillis();
        if (now - lastRejectLogMillis > 10_000) { // racy by design: at most about one line per 10 s
            lastRejectLogMillis = now;
            log.warn("redis ingress: dropped a message on {}: {} ({} dropped so far)", channel, why, rejected.get());
        }
    }


    // --- the control channel's transport (RedisControlChannel): not topic traffic ---

    /** Control channels (full names) → their receivers: each instance's own, and the bus every instance hears. */
    private final java.util.concurrent.ConcurrentHashMap<String, Consumer<byte[]>> controlHandlers =
            new java.util.concurrent.ConcurrentHashMap<>();

    /** Subscribes {@code {prefix}{channel}} like a topic, so it is restored after an outage like the others. */
    CompletionStage<Void> receiveControl(String channel, Consumer<byte[]> handler) {
        controlHandlers.put(prefix + channel, handler);
        return firstSubscriber(channel);
    }

    CompletionStage<Void> publishControl(String channel, byte[] message) {
        RedisClusterAsyncCommands<byte[], byte[]> cmd = commands;
        if (cmd == null || !ready) {
            return CompletableFuture.failedFuture(new BrokerUnavailableException("Redis is not connected"));
        }
        byte[] name = (prefix + channel).getBytes(StandardCharsets.UTF_8);
        // No receiver: the instance that held the channel is gone (even if its tag still looks live for a moment).
        return (endpoints.cluster() ? cmd.spublish(name, message) : cmd.publish(name, message))
                .thenCompose(n -> n != null && n == 0
                        ? CompletableFuture.<Void>failedFuture(new io.herald.broker.ControlChannel.UnknownInstanceException(channel))
                        : CompletableFuture.<Void>completedFuture(null));
    }

    /** The command connection's commands, or null before it is up. */
    RedisClusterAsyncCommands<byte[], byte[]> commands() {
        return commands;
    }

    /** The broker thread, for the control channel's beat. */
    java.util.concurrent.ScheduledExecutorService thread() {
        return thread;
    }

    // --- publishing ---

    @Override
    public CompletionStage<Void> publish(Envelope envelope) {
        RedisClusterAsyncCommands<byte[], byte[]> cmd = commands;
        StatefulConnection<byte[], byte[]> c = commandConnection;
        if (cmd == null || c == null || !c.isOpen()) {
            return CompletableFuture.failedFuture(new BrokerUnavailableException("Redis is not connected"));
        }
        byte[] body = EnvelopeWriter.toJson(envelope);
        if (history != null && Envelope.positioned(envelope.topic())) {
            // §11: appended to the topic's history and published in one atomic step, with its position
            return history.publish(body, envelope.topic().name()).thenApply(p -> null);
        }
        byte[] channel = (prefix + envelope.topic().name()).getBytes(StandardCharsets.UTF_8);
        return (endpoints.cluster() ? cmd.spublish(channel, body) : cmd.publish(channel, body)).thenApply(n -> null);
    }

    // --- interest (§3: subscribe only what local clients want) ---

    @Override
    public CompletionStage<Void> firstSubscriber(String topic) {
        if (history != null) {
            history.listen(topic); // before any message of it can arrive
        }
        CompletableFuture<Void> promise = new CompletableFuture<>();
        CompletableFuture<Void> subscribed = new CompletableFuture<>();
        if (!onThread(() -> {
            NodeSubscriptions n;
            try {
                n = nodeFor(topic);
            } catch (RuntimeException e) {
                n = null;
            }
            if (n == null) {
                subscribed.completeExceptionally(new BrokerUnavailableException("Redis is not connected"));
            } else {
                n.want(topic, subscribed);
            }
            String room = adapterRoutes != null ? adapterRoom(topic) : null;
            if (room == null) {
                subscribed.whenComplete((ok, t) -> settle(promise, t));
                return;
            }
            // §12 sharded adapter: the topic's connections hear the app's emits to the room once both are in place;
            // either failing fails it at once
            CompletableFuture<Void> inRoom = new CompletableFuture<>();
            joinAdapterRoom(room, inRoom);
            subscribed.whenComplete((ok, t) -> {
                if (t != null) {
                    settle(promise, t);
                }
            });
            inRoom.whenComplete((ok, t) -> {
                if (t != null) {
                    settle(promise, t);
                }
            });
            CompletableFuture.allOf(subscribed, inRoom).thenRun(() -> promise.complete(null));
        })) {
            promise.completeExceptionally(new BrokerUnavailableException("broker closed"));
        }
        return promise;
    }

    @Override
    public void lastSubscriberLeft(String topic) {
        if (history != null) {
            history.forget(topic);
        }
        onThread(() -> {
            NodeSubscriptions n = routes != null ? routes.remove(topic) : standalone;
            if (n != null) {
                n.unwant(topic);
            }
            String room = adapterRoutes != null ? adapterRoom(topic) : null;
            if (room != null) {
                leaveAdapterRoom(room);
            }
        });
    }

    private static void settle(CompletableFuture<Void> promise, Throwable failure) {
        if (failure == null) {
            promise.complete(null);
        } else {
            promise.completeExceptionally(failure instanceof java.util.concurrent.CompletionException c && c.getCause() != null
                    ? c.getCause() : failure);
        }
    }

    /** Broker thread: where a topic lives (cluster: the master of its slot, as lettuce last saw the topology). */
    private NodeSubscriptions nodeFor(String topic) {
        return routes != null ? routes.route(topic) : standalone;
    }

    /**
     * The cluster's topology as lettuce last saw it, or null before the first one (lettuce's {@code getPartitions()}
     * would block the broker thread to load it, and throw when the cluster cannot be reached).
     */
    private Partitions partitions() {
        if (commands == null) {
            return null;
        }
        try {
            return ((RedisClusterClient) commandClient).getPartitions();
        } catch (io.lettuce.core.RedisException unknown) {
            return null;
        }
    }

    private static NodeSubscriptions started(NodeSubscriptions n) {
        n.start();
        return n;
    }

    private boolean rebalanceScheduled;

    private void rebalanceSoon() {
        if (rebalanceScheduled || closed) {
            return;
        }
        rebalanceScheduled = true;
        ((RedisClusterClient) commandClient).refreshPartitionsAsync().whenCompleteAsync((v, t) -> {
            rebalanceScheduled = false;
            rebalance();
        }, thread);
    }

    /**
     * Cluster, broker thread: moves every topic to the master that owns its slot now, drops subscriber
     * connections to nodes that own nothing, and re-asks Redis for topics it dropped on its own. A moved
     * topic may have lost events while it moved, so its connections get {@code force_sync} once it is
     * confirmed on its new master (§10).
     */
    private void rebalance() {
        if (closed || commands == null) {
            return;
        }
        try {
            routes.rebalance();
            if (adapterRoutes != null) {
                adapterRoutes.rebalance();
            }
        } catch (RuntimeException e) {
            // never let the periodic task die: a scheduled task that throws is not run again
            log.warn("redis cluster: rebalancing failed; retrying", e);
        }
        updateReady();
    }

    private boolean isMaster(RedisURI uri) {
        Partitions partitions = ((RedisClusterClient) commandClient).getPartitions();
        if (partitions == null) {
            return false;
        }
        RedisClusterNode node = partitions.getPartition(uri.getHost(), uri.getPort());
        return node != null && node.is(RedisClusterNode.NodeFlag.UPSTREAM) && !node.getSlots().isEmpty();
    }

    /** A master as the topology names it, with the seed's credentials, database and TLS settings. */
    private RedisURI withCredentials(RedisURI nodeUri) {
        return RedisURI.builder(endpoints.uris().get(0)).withHost(nodeUri.getHost()).withPort(nodeUri.getPort()).build();
    }

    // --- cluster stats (§9) ---

    @Override
    public void reportInstance(Supplier<byte[]> snapshot) {
        registry.report(snapshot);
    }

    @Override
    public CompletionStage<List<byte[]>> instanceReports() {
        return registry.reports();
    }

    // --- state ---

    @Override
    public boolean connected() {
        return ready;
    }

    private boolean onThread(Runnable r) {
        try {
            thread.execute(r);
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        onThread(() -> {
            closed = true;
            ready = false;
            if (standalone != null) {
                standalone.close();
            }
            if (routes != null) {
                routes.close();
            }
            if (adapterRoutes != null) {
                adapterRoutes.close();
            }
            registry.stop().whenComplete((v, t) -> done.complete(null));
        });
        try {
            done.get(3, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.debug("redis broker: closing without deregistering: {}", e.toString());
        }
        closed = true;
        StatefulConnection<byte[], byte[]> c = commandConnection;
        if (c != null) {
            c.close();
        }
        thread.shutdownNow();
        SocketIoAdapterSubscriber adapter = adapterSubscriber;
        if (adapter != null) {
            adapter.close();
        }
        subscriberClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        commandClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        resources.shutdown(0, 2, TimeUnit.SECONDS);
    }

    private static String rootMessage(Throwable t) {
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage();
    }
}
