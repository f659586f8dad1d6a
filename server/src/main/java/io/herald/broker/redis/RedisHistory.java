package io.herald.broker.redis;

import io.herald.broker.Broker;
import io.herald.broker.BrokerUnavailableException;
import io.herald.broker.history.History;
import io.herald.hub.Envelope;
import io.herald.hub.EnvelopeException;
import io.herald.hub.EnvelopeParser;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisAdvancedClusterAsyncCommands;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * §11 history in Redis, for the Redis broker: any instance recovers what another delivered, and an instance that
 * restarts loses nothing. A topic's events live in a stream beside its position, both hash-tagged with the topic's
 * channel ({@code {herald:share:s1}:log}, {@code {herald:share:s1}:pos}) so that on a Redis Cluster they share the
 * channel's slot. They are written by the function library {@code herald.lua}, loaded at start: its
 * {@code herald_publish} appends and publishes in one atomic step, so offsets never skip or repeat whichever instance
 * or backend publishes, and the message every instance receives begins with the event's position:
 * {@code {"offset":n,"epoch":"e",…envelope…}}.
 *
 * <p>The instance also keeps, per topic it listens to, the last position it delivered ({@link #received}). A message
 * past the next offset means events were missed (an outage, a partition, a topic that moved between nodes): the
 * instance reads them from the history and delivers them first, holding later messages meanwhile, and only when the
 * history lost them (another epoch, trimmed) do the topic's connections get {@code force_sync} (§11 broker outages).
 */
final class RedisHistory implements History {
    private static final Logger log = LoggerFactory.getLogger(RedisHistory.class);
    /** Messages held per topic while its missed events are read; past it the topic resyncs instead. */
    static final int MAX_HELD = 10_000;
    private static final byte[] POSITIONED = "{\"offset\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EPOCH_FIELD = ",\"epoch\":\"".getBytes(StandardCharsets.US_ASCII);

    /** A message's position and the index where its envelope's fields go on. */
    record Positioned(Position position, int envelopeAt) {
    }

    private final String prefix;
    private final long ttlMillis;
    private final String source;
    private final boolean cluster;
    private final Supplier<RedisClusterAsyncCommands<byte[], byte[]>> commands;
    private final EnvelopeParser parser = new EnvelopeParser();
    private final ConcurrentHashMap<String, TopicState> topics = new ConcurrentHashMap<>();

    /** What this instance knows of one topic it listens to. Guarded by itself. */
    private static final class TopicState {
        /** The last position delivered to the hub, or null before any. */
        Position seen;
        /**
         * The first position read for a client (subscribe, resume) while none was delivered: where this instance's
         * clients stand if a broker outage comes before any event. Never used to drop a live message: each client's own
         * seam does that for the position it was told.
         */
        Position known;
        /** Messages held while missed events are read; null when not catching up. */
        List<Envelope> held;
        /** Counts catch-ups, so that one given up on (too much held) delivers nothing when it answers. */
        int generation;
        /** When a message without a position (a backend's own PUBLISH) last came: those cannot be caught up. */
        long unpositionedAtMillis;
    }

    RedisHistory(String prefix, int size, Duration ttl, boolean cluster,
                 Supplier<RedisClusterAsyncCommands<byte[], byte[]>> commands) {
        this.prefix = prefix;
        this.ttlMillis = ttl.toMillis();
        this.cluster = cluster;
        this.commands = commands;
        this.source = source(prefix, size, ttl, cluster);
    }

    /** {@code s} inside a single-quoted Lua string. */
    static String luaString(String s) {
        return s.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\r", "\\r");
    }

    /** The function library with this configuration's settings. */
    static String source(String prefix, int size, Duration ttl, boolean cluster) {
        try (InputStream in = RedisHistory.class.getResourceAsStream("herald.lua")) {
            if (in == null) {
                throw new IllegalStateException("herald.lua missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8)
                    .replace("__SIZE__", Integer.toString(size))
                    .replace("__TTL__", Long.toString(Math.max(1, ttl.toMillis())))
                    .replace("__PUBLISH__", cluster ? "SPUBLISH" : "PUBLISH")
                    .replace("__PREFIX__", luaString(prefix));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Loads (replaces) the library: on every master of a cluster. Called when the command connection opens. */
    CompletionStage<Void> load() {
        RedisClusterAsyncCommands<byte[], byte[]> cmd = commands.get();
        if (cmd == null) {
            return CompletableFuture.failedFuture(new BrokerUnavailableException("Redis is not connected"));
        }
        if (cluster && cmd instanceof RedisAdvancedClusterAsyncCommands<byte[], byte[]> all) {
            // every master, each on its own: one that is down (it loads when a call finds the library missing)
            // does not keep the others from having it
            CompletableFuture<?>[] each = java.util.Arrays.stream(all.upstream().commands().functionLoad(source, true).futures())
                    .map(f -> f.exceptionally(t -> null)).toArray(CompletableFuture[]::new);
            return CompletableFuture.allOf(each);
        }
        return cmd.functionLoad(source, true).thenApply(v -> null);
    }

    /** The keys of a topic: its log, then its position. */
    byte[][] keys(String topic) {
        String tag = "{" + prefix + topic + "}";
        return new byte[][] {(tag + ":log").getBytes(StandardCharsets.UTF_8), (tag + ":pos").getBytes(StandardCharsets.UTF_8)};
    }

    // --- writing ---

    /** Appends and publishes {@code envelope} atomically; completes with its position. */
    CompletionStage<Position> publish(byte[] envelope, String topic) {
        return call("herald_publish", keys(topic), envelope)
                .thenApply(r -> new Position(text(r.get(0)), (Long) r.get(1)));
    }

    // --- reading (History) ---

    @Override
    public Position latest(String topic) {
        TopicState s = topics.get(topic);
        if (s == null) {
            return null;
        }
        synchronized (s) {
            return s.seen != null ? s.seen : s.known;
        }
    }

    @Override
    public CompletionStage<Position> position(String topic) {
        return call("herald_position", keys(topic)).thenApply(r -> {
            Position p = new Position(text(r.get(0)), (Long) r.get(1));
            firstSeen(topic, p);
            return p;
        });
    }

    @Override
    public CompletionStage<Recovery> recover(String topic, Position since) {
        byte[] epoch = since.epoch().getBytes(StandardCharsets.UTF_8);
        byte[] offset = Long.toString(since.offset()).getBytes(StandardCharsets.US_ASCII);
        return call("herald_recover", keys(topic), epoch, offset).thenApply(r -> {
            Position now = new Position(text(r.get(0)), (Long) r.get(1));
            firstSeen(topic, now);
            if ((Long) r.get(2) == 0) {
                return new Recovery(false, now, List.of());
            }
            List<Entry> events = new ArrayList<>((r.size() - 3) / 2);
            for (int i = 3; i + 1 < r.size(); i += 2) {
                long o = (Long) r.get(i);
                Envelope e;
                try {
                    e = parser.parseOne((byte[]) r.get(i + 1));
                } catch (EnvelopeException ex) {
                    return new Recovery(false, now, List.of()); // herald_publish keeps only envelopes: not its history
                }
                if (!e.topic().name().equals(topic)) {
                    return new Recovery(false, now, List.of()); // never another topic's events, whatever is stored
                }
                events.add(new Entry(o, e.at(now.epoch(), o)));
            }
            return new Recovery(true, now, events);
        });
    }

    /** A position read for a client: remembered while the instance has delivered none of the topic's events. */
    private void firstSeen(String topic, Position p) {
        TopicState s = topics.get(topic);
        if (s != null) {
            synchronized (s) {
                if (s.seen == null && s.known == null) {
                    s.known = p;
                }
            }
        }
    }

    private CompletionStage<List<Object>> call(String function, byte[][] keys, byte[]... args) {
        return callOnce(function, keys, args).exceptionallyCompose(failure -> {
            Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
            if (cause instanceof RedisCommandExecutionException && String.valueOf(cause.getMessage()).contains("Function not found")) {
                // Redis restarted empty (or a node joined): load the library again, then retry once
                return load().thenCompose(v -> callOnce(function, keys, args));
            }
            return CompletableFuture.failedFuture(cause);
        });
    }

    private CompletionStage<List<Object>> callOnce(String function, byte[][] keys, byte[]... args) {
        RedisClusterAsyncCommands<byte[], byte[]> cmd = commands.get();
        if (cmd == null) {
            return CompletableFuture.failedFuture(new BrokerUnavailableException("Redis is not connected"));
        }
        return cmd.<List<Object>>fcall(function, ScriptOutputType.MULTI, keys, args);
    }

    private static String text(Object bulk) {
        return new String((byte[]) bulk, StandardCharsets.UTF_8);
    }

    // --- receiving (the broker's side) ---

    /** The instance listens to {@code topic} now. */
    void listen(String topic) {
        topics.computeIfAbsent(topic, t -> new TopicState());
    }

    /** The instance stopped listening to {@code topic}. */
    void forget(String topic) {
        topics.remove(topic);
    }

    /**
     * A message that begins with its position ({@code {"offset":n,"epoch":"e",…}}): returns the position and where
     * the envelope starts, or null for a message without one (a backend's own {@code PUBLISH}).
     */
    static Positioned positionOf(byte[] body) {
        if (body.length < POSITIONED.length + 12) {
            return null;
        }
        for (int i = 0; i < POSITIONED.length; i++) {
            if (body[i] != POSITIONED[i]) {
                return null;
            }
        }
        int i = POSITIONED.length;
        long offset = 0;
        int digits = 0;
        while (i < body.length && body[i] >= '0' && body[i] <= '9' && digits < 18) {
            offset = offset * 10 + (body[i++] - '0');
            digits++;
        }
        if (digits == 0 || i + EPOCH_FIELD.length >= body.length) {
            return null;
        }
        for (byte b : EPOCH_FIELD) {
            if (body[i++] != b) {
                return null;
            }
        }
        int start = i;
        while (i < body.length && body[i] != '"' && i - start <= 64) {
            i++;
        }
        if (i + 1 >= body.length || body[i] != '"' || body[i + 1] != ',' || i == start) {
            return null;
        }
        String epoch = new String(body, start, i - start, StandardCharsets.US_ASCII);
        return new Positioned(new Position(epoch, offset), i + 2); // the envelope goes on after the comma
    }

    /**
     * A positioned event received on lettuce's I/O thread: delivered when it is the next one; held while missed events
     * are read (starting that read when it reveals a gap); dropped when already delivered (a catch-up overlapping live
     * messages). A first event of a new epoch (offset 1) goes on as it is: the history started over, nothing was
     * missed, and each client's seam knows offsets only compare within an epoch.
     */
    void received(String topic, Envelope e, Broker.Listener listener) {
        TopicState s = topics.get(topic);
        if (s == null) {
            listener.onPublication(e); // not (or no longer) listened to: the hub finds no one
            return;
        }
        synchronized (s) {
            if (s.held != null) {
                hold(topic, s, e, listener);
                return;
            }
            Position seen = s.seen;
            if (seen != null && seen.epoch().equals(e.epoch())) {
                if (e.offset() <= seen.offset()) {
                    return; // delivered already, by a catch-up
                }
                if (e.offset() > seen.offset() + 1) { // a gap: read what was missed, hold this meanwhile
                    startCatchUp(topic, s, seen, e, listener);
                    return;
                }
            } else if (seen != null && e.offset() > 1) {
                // another epoch, and not from its start: its first events went by; read them from the history
                startCatchUp(topic, s, new Position(e.epoch(), 0), e, listener);
                return;
            }
            s.seen = new Position(e.epoch(), e.offset());
            listener.onPublication(e);
        }
    }

    /** A message without a position on a listened topic (a backend's plain PUBLISH). */
    void receivedUnpositioned(String topic) {
        TopicState s = topics.get(topic);
        if (s != null) {
            synchronized (s) {
                s.unpositionedAtMillis = System.currentTimeMillis();
            }
        }
    }

    /** Caller holds {@code s}. */
    private void startCatchUp(String topic, TopicState s, Position from, Envelope first, Broker.Listener listener) {
        s.held = new ArrayList<>();
        s.held.add(first);
        catchUp(topic, s, from, listener);
    }

    /** Caller holds {@code s}. */
    private void hold(String topic, TopicState s, Envelope e, Broker.Listener listener) {
        if (s.held.size() >= MAX_HELD) { // too far behind: give up on replaying, resync the topic's clients
            s.held = null;
            s.generation++;
            s.seen = new Position(e.epoch(), e.offset());
            listener.onRecovered(Set.of(topic));
            listener.onPublication(e);
            return;
        }
        s.held.add(e);
    }

    /**
     * The broker connection came back (§10): each listened topic with a known position catches up from it. Topics
     * without one, or that carried messages without positions lately (those cannot be read back), resync.
     */
    void resume(Set<String> back, Broker.Listener listener) {
        List<String> resync = new ArrayList<>();
        long now = System.currentTimeMillis();
        for (String topic : back) {
            TopicState s = topics.get(topic);
            if (s == null) {
                resync.add(topic);
                continue;
            }
            synchronized (s) {
                if (s.held != null) {
                    continue; // already catching up
                }
                Position from = s.seen != null ? s.seen : s.known;
                if (from == null || now - s.unpositionedAtMillis < ttlMillis) {
                    resync.add(topic);
                    continue;
                }
                s.held = new ArrayList<>();
                catchUp(topic, s, from, listener);
            }
        }
        if (!resync.isEmpty()) {
            listener.onRecovered(Set.copyOf(resync));
        }
    }

    /** Caller holds {@code s}; {@code s.held} is set. Reads the events after {@code from}, then lets go the held ones. */
    private void catchUp(String topic, TopicState s, Position from, Broker.Listener listener) {
        int generation = ++s.generation;
        recover(topic, from).whenComplete((r, failure) -> {
            synchronized (s) {
                if (s.generation != generation || topics.get(topic) != s) {
                    return; // given up on, or the instance stopped listening
                }
                List<Envelope> held = s.held;
                s.held = null;
                if (failure != null || !r.recovered()) {
                    if (failure != null) {
                        log.warn("redis history: cannot read what {} missed ({}): force_sync", topic, failure.toString());
                    }
                    // the gap is lost: its clients resync from where the topic stands (or the last position known)
                    s.seen = failure == null ? r.position() : (s.seen != null ? s.seen : from);
                    listener.onRecovered(Set.of(topic));
                } else {
                    for (Entry missed : r.events()) {
                        deliverNext(s, missed.envelope(), listener);
                    }
                }
                for (Envelope e : held) {
                    deliverNext(s, e, listener); // unless the catch-up delivered it
                }
            }
        });
    }

    private static void deliverNext(TopicState s, Envelope e, Broker.Listener listener) {
        if (s.seen == null || !s.seen.epoch().equals(e.epoch()) || e.offset() > s.seen.offset()) {
            s.seen = new Position(e.epoch(), e.offset());
            listener.onPublication(e);
        }
    }
}
