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

    private final String prefix;
    private final String source;
    private final boolean cluster;
    private final Supplier<RedisClusterAsyncCommands<byte[], byte[]>> commands;
    private final EnvelopeParser parser = new EnvelopeParser();
    private final ConcurrentHashMap<String, TopicState> topics = new ConcurrentHashMap<>();

    /** What this instance knows of one topic it listens to. Guarded by itself. */
    private static final class TopicState {
        /** The last position delivered to the hub, or null before any. */
        Position seen;
        /** Messages held while missed events are read; null when not catching up. */
        List<Held> held;
        /** Counts catch-ups, so that one given up on (too much held) delivers nothing when it answers. */
        int generation;
    }

    private record Held(Envelope envelope, String epoch) {
    }

    RedisHistory(String prefix, int size, Duration ttl, boolean cluster,
                 Supplier<RedisClusterAsyncCommands<byte[], byte[]>> commands) {
        this.prefix = prefix;
        this.cluster = cluster;
        this.commands = commands;
        this.source = source(size, ttl, cluster);
    }

    /** The function library with this configuration's settings. */
    static String source(int size, Duration ttl, boolean cluster) {
        try (InputStream in = RedisHistory.class.getResourceAsStream("herald.lua")) {
            if (in == null) {
                throw new IllegalStateException("herald.lua missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8)
                    .replace("__SIZE__", Integer.toString(size))
                    .replace("__TTL__", Long.toString(Math.max(1, ttl.toMillis())))
                    .replace("__PUBLISH__", cluster ? "SPUBLISH" : "PUBLISH");
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
            return all.upstream().commands().functionLoad(source, true).thenApply(v -> null);
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
            return s.seen;
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
                try {
                    events.add(new Entry(o, parser.parseOne((byte[]) r.get(i + 1)).withOffset(o)));
                } catch (EnvelopeException e) {
                    // herald_publish took only envelopes of the topic: nothing else can be there
                    return new Recovery(false, now, List.of());
                }
            }
            return new Recovery(true, now, events);
        });
    }

    /**
     * The first position this instance learns of a topic it listens to, when it has delivered none: every event up to
     * it was answered to the clients that asked (their seams drop it), so the instance delivers from there on.
     */
    private void firstSeen(String topic, Position p) {
        TopicState s = topics.get(topic);
        if (s != null) {
            synchronized (s) {
                if (s.seen == null) {
                    s.seen = p; // a later epoch is learnt from the messages, where its force_sync is sent
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
    static Object[] positionOf(byte[] body) {
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
        byte[] epochField = ",\"epoch\":\"".getBytes(StandardCharsets.US_ASCII);
        if (digits == 0 || i + epochField.length >= body.length) {
            return null;
        }
        for (byte b : epochField) {
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
        return new Object[] {new Position(epoch, offset), i + 2}; // the envelope goes on after the comma
    }

    /**
     * A positioned event received on lettuce's I/O thread: delivered when it is the next one; held while missed events
     * are read (starting that read when it reveals a gap); dropped when already delivered; and when its epoch is not
     * the one seen, the topic's history was lost: its connections get {@code force_sync} first.
     */
    void received(String topic, Envelope e, String epoch, Broker.Listener listener) {
        TopicState s = topics.get(topic);
        if (s == null) {
            listener.onPublication(e); // not (or no longer) listened to: the hub finds no one
            return;
        }
        synchronized (s) {
            if (s.held != null) {
                hold(topic, s, e, epoch, listener);
                return;
            }
            Position seen = s.seen;
            if (seen != null && seen.epoch().equals(epoch)) {
                if (e.offset() <= seen.offset()) {
                    return; // delivered already (by a catch-up, or before the position answered)
                }
                if (e.offset() > seen.offset() + 1) { // a gap: read what was missed, hold this meanwhile
                    s.held = new ArrayList<>();
                    s.held.add(new Held(e, epoch));
                    catchUp(topic, s, seen, listener);
                    return;
                }
            } else if (seen != null) {
                // another epoch: the history the instance delivered from is gone (§11), resync from this event on
                s.seen = new Position(epoch, e.offset() - 1);
                listener.onRecovered(Set.of(topic));
            }
            s.seen = new Position(epoch, e.offset());
            listener.onPublication(e);
        }
    }

    /** Caller holds {@code s}. */
    private void hold(String topic, TopicState s, Envelope e, String epoch, Broker.Listener listener) {
        if (s.held.size() >= MAX_HELD) { // too far behind: give up on replaying, resync the topic's clients
            s.held = null;
            s.generation++;
            s.seen = new Position(epoch, e.offset());
            listener.onRecovered(Set.of(topic));
            listener.onPublication(e);
            return;
        }
        s.held.add(new Held(e, epoch));
    }

    /**
     * The broker connection came back (§10): the listened topics with a known position catch up from it; those
     * without one resync. {@code resync} gets the latter.
     */
    void resume(Set<String> back, Broker.Listener listener) {
        List<String> resync = new ArrayList<>();
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
                if (s.seen == null) {
                    resync.add(topic);
                    continue;
                }
                s.held = new ArrayList<>();
                catchUp(topic, s, s.seen, listener);
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
                List<Held> held = s.held;
                s.held = null;
                if (failure != null || !r.recovered()) {
                    if (failure != null) {
                        log.warn("redis history: cannot read what {} missed ({}): force_sync", topic, failure.toString());
                    }
                    // the gap is lost: resync the topic's clients, then go on from the held messages
                    s.seen = failure == null ? r.position() : null;
                    listener.onRecovered(Set.of(topic));
                } else {
                    for (Entry missed : r.events()) {
                        deliverNext(s, missed.envelope(), from.epoch(), listener);
                    }
                }
                for (Held h : held) {
                    Position seen = s.seen;
                    if (seen == null || (h.epoch().equals(seen.epoch()) && h.envelope().offset() > seen.offset())) {
                        s.seen = new Position(h.epoch(), h.envelope().offset());
                        listener.onPublication(h.envelope());
                    } // else delivered by the catch-up, or of a history that is gone (its clients resync)
                }
            }
        });
    }

    private static void deliverNext(TopicState s, Envelope e, String epoch, Broker.Listener listener) {
        if (s.seen == null || e.offset() > s.seen.offset()) {
            s.seen = new Position(epoch, e.offset());
            listener.onPublication(e);
        }
    }

    /** Topics this instance keeps a position for (tests, stats). */
    int listened() {
        return topics.size();
    }
}
