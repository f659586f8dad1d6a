package io.herald.broker.redis;

import io.herald.broker.BrokerUnavailableException;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.pubsub.api.async.RedisPubSubAsyncCommands;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The Redis pub/sub subscriptions of this instance on one Redis node: the whole server for {@code redis://},
 * one master for {@code redis-cluster://} (sharded pub/sub, {@code SSUBSCRIBE}).
 *
 * <p>It reconciles the topics the hub wants with what Redis has confirmed. Each topic has at most one
 * command in flight; what the hub asks for meanwhile is collected and leaves as one batch per round trip
 * ({@code SUBSCRIBE} of up to {@link #BATCH} channels; on a cluster one {@code SSUBSCRIBE} per slot, pipelined),
 * so a reconnect storm of 10k clients costs a handful of round trips, not 10k. A topic is confirmed only by
 * Redis's own {@code subscribe} reply for it (§3: {@code subscribed} is a promise).
 *
 * <p>It owns its connection: lettuce's auto-reconnect is off, because a lost connection must be seen (§10).
 * On loss every topic falls back to unsubscribed, unconfirmed promises fail, and it reconnects with backoff;
 * once every wanted topic is confirmed again it reports them as {@link Events#recovered}. A periodic
 * {@code PING} with a deadline catches a half-open connection that TCP keepalive has not noticed yet.
 *
 * <p>Confined to the broker's single thread, except {@link #onMessage}, which lettuce calls on its I/O thread
 * and which only hands the message on, in order.
 */
final class NodeSubscriptions {
    private static final Logger log = LoggerFactory.getLogger(NodeSubscriptions.class);
    static final int BATCH = 1000;
    private static final long BACKOFF_MIN_MILLIS = 50;
    private static final long BACKOFF_MAX_MILLIS = 1000;

    /** What the shard tells the broker; called on the broker thread, except {@link #message}. */
    interface Events {
        /** A message on {@code channel}; lettuce's I/O thread, in the order Redis sent them. */
        void message(byte[] channel, byte[] body);

        /** The connection came back and these topics are subscribed again; events may have passed (§10). */
        void recovered(Set<String> topics);

        /** Up or down changed. */
        void stateChanged();

        /** Redis moved a sharded channel away (slot migration or failover): the broker should re-route it. */
        void moved(String topic);
    }

    private enum State { UNSUBSCRIBED, SUBSCRIBING, SUBSCRIBED, UNSUBSCRIBING }

    private static final class Entry {
        boolean wanted;
        /** Redis dropped it on its own while wanted: events may have passed, so its return is a recovery. */
        boolean dropped;
        State state = State.UNSUBSCRIBED;
        /** Promises waiting for Redis's confirmation; null when none. */
        List<CompletableFuture<Void>> waiting;
    }

    private final RedisClient client;
    private final RedisURI uri;
    private final String prefix;
    private final boolean sharded;
    private final ScheduledExecutorService thread;
    private final Events events;
    private final Duration healthInterval;
    private final Map<String, Entry> topics = new HashMap<>();
    private final Set<String> toSubscribe = new LinkedHashSet<>();
    private final Set<String> toUnsubscribe = new LinkedHashSet<>();

    private StatefulRedisPubSubConnection<byte[], byte[]> connection;
    /** Incremented whenever a connection is given up, so late callbacks of an old one are ignored. */
    private int generation;
    private boolean connecting;
    private boolean wasUp;
    private boolean closed;
    private boolean pingOutstanding;
    /** The last connection attempt failed, or the connection was lost; cleared once connected. */
    private boolean failed;
    private int subscribesInFlight;
    private int unsubscribesInFlight;
    private long backoffMillis = BACKOFF_MIN_MILLIS;
    private ScheduledFuture<?> health;

    NodeSubscriptions(RedisClient client, RedisURI uri, String prefix, boolean sharded,
                      ScheduledExecutorService thread, Duration healthInterval, Events events) {
        this.client = client;
        this.uri = uri;
        this.prefix = prefix;
        this.sharded = sharded;
        this.thread = thread;
        this.healthInterval = healthInterval;
        this.events = events;
    }

    RedisURI uri() {
        return uri;
    }

    /** True while the pub/sub connection is open and answering. */
    boolean up() {
        return connection != null;
    }

    /** Not connected, and the last attempt failed or the connection was lost: the node seems down. */
    boolean unreachable() {
        return connection == null && failed;
    }

    /** Topics this node holds for the hub (wanted), confirmed or not. */
    Set<String> wantedTopics() {
        Set<String> out = new LinkedHashSet<>();
        topics.forEach((t, e) -> {
            if (e.wanted) {
                out.add(t);
            }
        });
        return out;
    }

    /** Up, and every subscription wanted when it (re)connected is confirmed again. */
    boolean ready() {
        return connection != null && recovering == null;
    }


    void start() {
        connect();
        health = thread.scheduleWithFixedDelay(this::checkHealth, healthInterval.toMillis(),
                healthInterval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The hub wants {@code topic}; {@code promise} completes once Redis confirmed it, or fails. */
    void want(String topic, CompletableFuture<Void> promise) {
        Entry e = topics.computeIfAbsent(topic, t -> new Entry());
        e.wanted = true;
        if (e.state == State.SUBSCRIBED) {
            promise.complete(null);
            return;
        }
        if (connection == null && (failed || !connecting)) {
            promise.completeExceptionally(new BrokerUnavailableException("Redis is not connected"));
            return;
        }
        // connected, or connecting for the first time (a node just added): the confirmation decides
        (e.waiting == null ? e.waiting = new ArrayList<>(1) : e.waiting).add(promise);
        reconcile(topic, e);
        flush();
    }

    /**
     * Takes over a topic that moved here from another master (cluster re-routing): wanted, with its unconfirmed
     * promises, and marked dropped so that its confirmation is reported as a recovery (§10: events may have
     * passed while it moved), even if this node is not connected yet.
     */
    void takeOver(String topic, List<CompletableFuture<Void>> waiting) {
        Entry e = topics.computeIfAbsent(topic, t -> new Entry());
        e.wanted = true;
        e.dropped = true;
        if (!waiting.isEmpty()) {
            (e.waiting == null ? e.waiting = new ArrayList<>(waiting.size()) : e.waiting).addAll(waiting);
        }
        if (e.state == State.SUBSCRIBED) {
            e.dropped = false;
            if (e.waiting != null) {
                e.waiting.forEach(p -> p.complete(null));
                e.waiting = null;
            }
            events.recovered(Set.of(topic));
            return;
        }
        reconcile(topic, e);
        flush();
    }

    /** The hub no longer wants {@code topic}. */
    void unwant(String topic) {
        Entry e = topics.get(topic);
        if (e == null) {
            return;
        }
        e.wanted = false;
        failWaiting(e, new BrokerUnavailableException("unsubscribed"));
        if (e.state == State.UNSUBSCRIBED) {
            topics.remove(topic);
            toSubscribe.remove(topic);
            return;
        }
        reconcile(topic, e);
        flush();
    }

    /**
     * Hands a topic over to another node (cluster re-routing): forgets it here, unsubscribing if Redis still
     * holds it, and returns its unconfirmed promises (empty when none), or null when the hub did not want it.
     */
    List<CompletableFuture<Void>> release(String topic) {
        Entry e = topics.get(topic);
        if (e == null || !e.wanted) {
            return null;
        }
        List<CompletableFuture<Void>> waiting = e.waiting != null ? e.waiting : new ArrayList<>();
        e.waiting = null;
        e.wanted = false;
        if (e.state == State.UNSUBSCRIBED) {
            topics.remove(topic);
            toSubscribe.remove(topic);
        } else {
            reconcile(topic, e);
            flush();
        }
        return waiting;
    }

    /** Asks Redis again for a wanted topic it dropped (a sharded channel whose slot stayed here). */
    void resubscribe(String topic) {
        Entry e = topics.get(topic);
        if (e != null && e.wanted) {
            reconcile(topic, e);
            flush();
        }
    }

    private void reconcile(String topic, Entry e) {
        if (e.wanted && e.state == State.UNSUBSCRIBED) {
            e.state = State.SUBSCRIBING;
            toSubscribe.add(topic);
        } else if (!e.wanted && e.state == State.SUBSCRIBED) {
            e.state = State.UNSUBSCRIBING;
            toUnsubscribe.add(topic);
        }
    }

    /**
     * Sends what was collected as one round trip: every pending subscribe leaves together (pipelined), and the
     * next batch waits until Redis answered this one. Plain pub/sub takes up to {@link #BATCH} channels per
     * command; sharded pub/sub needs one command per slot (Redis refuses channels of several slots).
     */
    private void flush() {
        if (connection == null) {
            return;
        }
        if (subscribesInFlight == 0 && !toSubscribe.isEmpty()) {
            for (byte[][] group : groups(toSubscribe)) {
                send(group, true);
            }
            toSubscribe.clear();
        }
        if (unsubscribesInFlight == 0 && !toUnsubscribe.isEmpty()) {
            for (byte[][] group : groups(toUnsubscribe)) {
                send(group, false);
            }
            toUnsubscribe.clear();
        }
    }

    private List<byte[][]> groups(Set<String> topicNames) {
        Map<Integer, List<byte[]>> bySlot = new HashMap<>();
        for (String t : topicNames) {
            byte[] channel = (prefix + t).getBytes(StandardCharsets.UTF_8);
            bySlot.computeIfAbsent(sharded ? SlotHash.getSlot(channel) : 0, k -> new ArrayList<>()).add(channel);
        }
        List<byte[][]> out = new ArrayList<>();
        for (List<byte[]> channels : bySlot.values()) {
            for (int i = 0; i < channels.size(); i += BATCH) {
                out.add(channels.subList(i, Math.min(channels.size(), i + BATCH)).toArray(new byte[0][]));
            }
        }
        return out;
    }

    private void send(byte[][] channels, boolean subscribe) {
        RedisPubSubAsyncCommands<byte[], byte[]> cmd = connection.async();
        int gen = generation;
        if (subscribe) {
            subscribesInFlight++;
        } else {
            unsubscribesInFlight++;
        }
        RedisFuture<Void> f = subscribe
                ? (sharded ? cmd.ssubscribe(channels) : cmd.subscribe(channels))
                : (sharded ? cmd.sunsubscribe(channels) : cmd.unsubscribe(channels));
        f.whenCompleteAsync((ok, failure) -> {
            if (gen != generation) {
                return;
            }
            if (subscribe) {
                subscribesInFlight--;
            } else {
                unsubscribesInFlight--;
            }
            if (failure instanceof RedisCommandExecutionException refused) {
                refused(channels, subscribe, refused.getMessage());
            } else if (failure != null) {
                lost((subscribe ? "subscribe" : "unsubscribe") + " failed: " + failure.getMessage());
                return;
            }
            flush();
        }, thread);
    }

    /**
     * Redis answered with an error (a cluster's MOVED or CLUSTERDOWN while slots move, or a refused ACL): the
     * connection is fine, these channels are not subscribed. A sharded topic is re-routed by the broker, its
     * promises kept; otherwise the promises fail and the client may retry.
     */
    private void refused(byte[][] channels, boolean subscribe, String why) {
        log.warn("redis {}: {} refused: {}", uri.getHost() + ":" + uri.getPort(), subscribe ? "subscribe" : "unsubscribe", why);
        for (byte[] channel : channels) {
            String topic = topicOf(channel);
            Entry e = topics.get(topic);
            if (e == null) {
                continue;
            }
            e.state = State.UNSUBSCRIBED;
            if (!e.wanted) {
                topics.remove(topic);
            } else if (sharded) {
                events.moved(topic);
            } else {
                failWaiting(e, new BrokerUnavailableException("Redis refused the subscription"));
            }
        }
    }

    // --- lettuce callbacks, hopped onto the broker thread ---

    private void confirmedSubscribed(int gen, String topic) {
        if (gen != generation) {
            return;
        }
        Entry e = topics.get(topic);
        if (e == null || e.state != State.SUBSCRIBING) {
            return;
        }
        e.state = State.SUBSCRIBED;
        if (e.wanted) {
            if (e.waiting != null) {
                e.waiting.forEach(p -> p.complete(null));
                e.waiting = null;
            }
            if (e.dropped) {
                e.dropped = false;
                events.recovered(Set.of(topic));
            }
        } else {
            reconcile(topic, e);
            flush();
        }
        maybeRecovered();
    }

    private void confirmedUnsubscribed(int gen, String topic) {
        if (gen != generation) {
            return;
        }
        Entry e = topics.get(topic);
        if (e == null) {
            return;
        }
        if (e.state == State.SUBSCRIBED) {
            if (!sharded) {
                e.state = State.UNSUBSCRIBED;
                reconcile(topic, e);
                flush();
                return;
            }
            // Redis dropped a sharded subscription on its own: the slot moved or this node is no master now.
            e.state = State.UNSUBSCRIBED;
            e.dropped = e.wanted;
            events.moved(topic);
            return;
        }
        if (e.state != State.UNSUBSCRIBING) {
            return;
        }
        e.state = State.UNSUBSCRIBED;
        if (e.wanted) {
            reconcile(topic, e);
            flush();
        } else {
            topics.remove(topic);
        }
    }

    /** After a reconnect: once every wanted topic is confirmed, tell the broker which ones came back. */
    private Set<String> recovering;

    private void maybeRecovered() {
        if (recovering == null) {
            return;
        }
        for (String t : recovering) {
            Entry e = topics.get(t);
            if (e != null && e.wanted && e.state != State.SUBSCRIBED) {
                return;
            }
        }
        Set<String> back = recovering;
        recovering = null;
        back.removeIf(t -> {
            Entry e = topics.get(t);
            return e == null || !e.wanted;
        });
        log.info("redis {}: {} subscriptions restored", uri.getHost() + ":" + uri.getPort(), back.size());
        events.recovered(back);
    }

    // --- connection lifecycle ---

    private void connect() {
        if (closed || connecting || connection != null) {
            return;
        }
        connecting = true;
        int gen = generation;
        client.connectPubSubAsync(ByteArrayCodec.INSTANCE, uri).whenCompleteAsync((c, failure) -> {
            connecting = false;
            if (closed || gen != generation) {
                if (c != null) {
                    c.closeAsync();
                }
                return;
            }
            if (failure != null) {
                failed = true;
                BrokerUnavailableException cause = new BrokerUnavailableException("Redis is not reachable");
                topics.values().forEach(e -> failWaiting(e, cause)); // still wanted: subscribed once it connects
                events.stateChanged(); // the node seems down: its channels may belong elsewhere meanwhile
                retryLater();
                return;
            }
            opened(c);
        }, thread);
    }

    private void opened(StatefulRedisPubSubConnection<byte[], byte[]> c) {
        int gen = generation;
        c.addListener(new RedisPubSubAdapter<>() {
            @Override
            public void message(byte[] channel, byte[] message) {
                if (!sharded) {
                    events.message(channel, message);
                }
            }

            @Override
            public void smessage(byte[] channel, byte[] message) {
                if (sharded) {
                    events.message(channel, message);
                }
            }

            @Override
            public void subscribed(byte[] channel, long count) {
                hop(() -> confirmedSubscribed(gen, topicOf(channel)));
            }

            @Override
            public void ssubscribed(byte[] channel, long count) {
                hop(() -> confirmedSubscribed(gen, topicOf(channel)));
            }

            @Override
            public void unsubscribed(byte[] channel, long count) {
                hop(() -> confirmedUnsubscribed(gen, topicOf(channel)));
            }

            @Override
            public void sunsubscribed(byte[] channel, long count) {
                hop(() -> confirmedUnsubscribed(gen, topicOf(channel)));
            }
        });
        connection = c;
        failed = false;
        backoffMillis = BACKOFF_MIN_MILLIS;
        pingOutstanding = false;
        Set<String> wanted = wantedTopics();
        for (String t : wanted) {
            reconcile(t, topics.get(t));
        }
        if (wasUp) {
            recovering = wanted;
        }
        wasUp = true;
        log.info("redis {}: pub/sub connected{}", uri.getHost() + ":" + uri.getPort(),
                wanted.isEmpty() ? "" : ", restoring " + wanted.size() + " subscriptions");
        events.stateChanged();
        flush();
        maybeRecovered();
    }

    /** The connection is gone or no longer trusted: give it up and reconnect. */
    void lost(String why) {
        if (connection == null) {
            return;
        }
        log.warn("redis {}: pub/sub connection lost ({}); reconnecting", uri.getHost() + ":" + uri.getPort(), why);
        StatefulRedisPubSubConnection<byte[], byte[]> c = connection;
        connection = null;
        failed = true;
        generation++;
        subscribesInFlight = 0;
        unsubscribesInFlight = 0;
        toSubscribe.clear();
        toUnsubscribe.clear();
        recovering = null;
        BrokerUnavailableException cause = new BrokerUnavailableException("Redis connection lost");
        topics.entrySet().removeIf(en -> {
            Entry e = en.getValue();
            e.state = State.UNSUBSCRIBED;
            failWaiting(e, cause);
            return !e.wanted;
        });
        c.closeAsync();
        events.stateChanged();
        retryLater();
    }

    private void retryLater() {
        if (closed) {
            return;
        }
        long delay = backoffMillis;
        backoffMillis = Math.min(BACKOFF_MAX_MILLIS, backoffMillis * 2);
        thread.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
    }

    private void checkHealth() {
        StatefulRedisPubSubConnection<byte[], byte[]> c = connection;
        if (c == null) {
            return;
        }
        if (!c.isOpen()) {
            lost("closed");
            return;
        }
        if (pingOutstanding) {
            return;
        }
        pingOutstanding = true;
        int gen = generation;
        c.async().ping().toCompletableFuture()
                .orTimeout(healthInterval.toMillis() * 2, TimeUnit.MILLISECONDS)
                .whenCompleteAsync((pong, failure) -> {
                    if (gen != generation) {
                        return;
                    }
                    pingOutstanding = false;
                    if (failure != null) {
                        lost("no answer to PING within " + healthInterval.toMillis() * 2 + " ms");
                    }
                }, thread);
    }


    void close() {
        closed = true;
        if (health != null) {
            health.cancel(false);
        }
        generation++;
        BrokerUnavailableException cause = new BrokerUnavailableException("broker closed");
        topics.values().forEach(e -> failWaiting(e, cause));
        topics.clear();
        if (connection != null) {
            connection.closeAsync();
            connection = null;
        }
    }

    private static void failWaiting(Entry e, Throwable cause) {
        if (e.waiting != null) {
            e.waiting.forEach(p -> p.completeExceptionally(cause));
            e.waiting = null;
        }
    }

    private String topicOf(byte[] channel) {
        String name = new String(channel, StandardCharsets.UTF_8);
        return name.startsWith(prefix) ? name.substring(prefix.length()) : name;
    }

    private void hop(Runnable r) {
        try {
            thread.execute(r);
        } catch (java.util.concurrent.RejectedExecutionException ignored) {
            // the broker is closing
        }
    }
}
