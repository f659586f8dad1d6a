package io.herald.broker.history;

import io.herald.hub.Envelope;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@link History} in this process, for the local broker (§11): per topic the last {@code size} events, each for
 * {@code ttl}, and all topics together within {@code maxBytes} (estimated), so that 100k busy topics cannot exhaust
 * the heap. Past the byte cap the topics appended to least recently lose their history whole: their epoch goes,
 * and a client resuming them gets {@code force_sync}. A topic whose kept events all expired is dropped on its next
 * touch, so an idle topic costs nothing after {@code ttl}; its next event starts a new epoch.
 *
 * <p>One lock per topic: appends to different topics never wait for each other; an append and a recovery of one
 * topic are serialized, which is what makes offsets gapless and a recovery see a consistent tail.
 */
public final class InMemoryHistory implements History {
    /** What one kept event costs beyond its data and event type: entry, envelope, deque slot, strings' headers. */
    static final int ENTRY_OVERHEAD = 120;
    /** What a topic's log costs with nothing in it: map entry, log, deque, epoch. */
    static final int TOPIC_OVERHEAD = 200;

    private static final SecureRandom RANDOM = new SecureRandom();

    private final int size;
    private final long ttlMillis;
    private final long maxBytes;
    private final Clock clock;
    private final ConcurrentHashMap<String, Log> topics = new ConcurrentHashMap<>();
    private final AtomicLong bytes = new AtomicLong();

    /** One topic's history. Guarded by itself. */
    private static final class Log {
        final String epoch = newEpoch();
        final ArrayDeque<Kept> kept = new ArrayDeque<>();
        long offset;
        long lastAppendMillis;
        long bytes = TOPIC_OVERHEAD;
        /** Dropped from the map: a writer holding it must start over with a new log. */
        boolean gone;
    }

    private record Kept(long offset, Envelope envelope, long atMillis, int bytes) {
    }

    /**
     * @param size     events kept per topic ({@code HERALD_HISTORY_SIZE}, at least 1)
     * @param ttl      how long an event stays recoverable ({@code HERALD_HISTORY_TTL})
     * @param maxBytes what all histories together may take, estimated
     */
    public InMemoryHistory(int size, Duration ttl, long maxBytes, Clock clock) {
        if (size < 1) {
            throw new IllegalArgumentException("history size must be at least 1");
        }
        this.size = size;
        this.ttlMillis = ttl.toMillis();
        this.maxBytes = maxBytes;
        this.clock = clock;
    }

    static String newEpoch() {
        byte[] b = new byte[9];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** Keeps {@code e} as its topic's next event and returns its position (epoch and the event's offset). */
    public Position append(Envelope e) {
        return append(e, positioned -> { });
    }

    /**
     * Keeps {@code e} as its topic's next event and hands it, with its offset, to {@code deliver} before any later
     * event of the topic is appended: deliveries of one topic happen in offset order, whatever thread publishes.
     * {@code deliver} must not block.
     */
    public Position append(Envelope e, java.util.function.Consumer<Envelope> deliver) {
        String topic = e.topic().name();
        long now = clock.millis();
        int cost = ENTRY_OVERHEAD + topic.length() + e.eventType().length() + (e.data() == null ? 0 : e.data().length);
        while (true) {
            Log log = logFor(topic);
            Position p;
            synchronized (log) {
                if (log.gone) {
                    continue; // evicted between the lookup and the lock: append to its successor
                }
                expire(log, now);
                log.offset++;
                log.kept.addLast(new Kept(log.offset, e, now, cost));
                log.bytes += cost;
                bytes.addAndGet(cost);
                while (log.kept.size() > size) {
                    drop(log, log.kept.removeFirst());
                }
                log.lastAppendMillis = now;
                p = new Position(log.epoch, log.offset);
                deliver.accept(e.at(log.epoch, log.offset));
            }
            if (bytes.get() > maxBytes) {
                evict(topic);
            }
            return p;
        }
    }

    @Override
    public Position latest(String topic) {
        return positionNow(topic);
    }

    @Override
    public CompletionStage<Position> position(String topic) {
        return CompletableFuture.completedFuture(positionNow(topic));
    }

    @Override
    public CompletionStage<Recovery> recover(String topic, Position since) {
        return CompletableFuture.completedFuture(recoverNow(topic, since));
    }

    /** {@link #position}, answered on the calling thread. */
    public Position positionNow(String topic) {
        while (true) {
            Log log = logFor(topic);
            synchronized (log) {
                if (!log.gone) {
                    return new Position(log.epoch, log.offset);
                }
            }
        }
    }

    /** {@link #recover}, answered on the calling thread. */
    public Recovery recoverNow(String topic, Position since) {
        while (true) {
            Log log = logFor(topic);
            synchronized (log) {
                if (!log.gone) {
                    return recover(log, since);
                }
            }
        }
    }

    /**
     * The topic's live log, made (a new epoch at offset 0) when it has none, so that a position named to a client
     * stays the topic's until its history is lost.
     */
    private Log logFor(String topic) {
        Log log = live(topic);
        if (log != null) {
            return log;
        }
        long now = clock.millis();
        Log made = topics.computeIfAbsent(topic, t -> {
            bytes.addAndGet(TOPIC_OVERHEAD);
            Log fresh = new Log();
            fresh.lastAppendMillis = now;
            return fresh;
        });
        if (bytes.get() > maxBytes) {
            evict(topic);
        }
        return made;
    }

    /** Caller holds {@code log}'s lock. */
    private Recovery recover(Log log, Position since) {
        Position now = new Position(log.epoch, log.offset);
        if (since == null || !log.epoch.equals(since.epoch()) || since.offset() > log.offset || since.offset() < 0) {
            return new Recovery(false, now, List.of());
        }
        if (since.offset() == log.offset) {
            return new Recovery(true, now, List.of()); // nothing missed
        }
        Kept first = log.kept.peekFirst();
        if (first == null || first.offset() > since.offset() + 1) {
            return new Recovery(false, now, List.of()); // trimmed or expired past the gap
        }
        List<Entry> missed = new ArrayList<>((int) (log.offset - since.offset()));
        for (Kept k : log.kept) {
            if (k.offset() > since.offset()) {
                missed.add(new Entry(k.offset(), k.envelope().at(log.epoch, k.offset())));
            }
        }
        return new Recovery(true, now, missed);
    }

    /** The topic's log after dropping what expired; null when it has none (and a log emptied by expiry goes). */
    private Log live(String topic) {
        Log log = topics.get(topic);
        if (log == null) {
            return null;
        }
        synchronized (log) {
            if (log.gone) {
                return null;
            }
            expire(log, clock.millis());
            if (log.kept.isEmpty() && clock.millis() - log.lastAppendMillis >= ttlMillis) {
                remove(topic, log); // idle past the ttl: its history is lost, and its epoch with it
                return null;
            }
            return log;
        }
    }

    private void expire(Log log, long now) {
        Kept k;
        while ((k = log.kept.peekFirst()) != null && now - k.atMillis() >= ttlMillis) {
            drop(log, log.kept.removeFirst());
        }
    }

    private void drop(Log log, Kept k) {
        log.bytes -= k.bytes();
        bytes.addAndGet(-k.bytes());
    }

    /** Caller holds {@code log}'s lock. */
    private void remove(String topic, Log log) {
        log.gone = true;
        topics.remove(topic, log);
        bytes.addAndGet(-log.bytes);
    }

    /**
     * Over the byte cap: drops whole topics, least recently appended first (never {@code appended}, which was just
     * written), until the histories take at most 90 % of the cap. Runs on the publishing thread that crossed it.
     */
    private synchronized void evict(String appended) {
        if (bytes.get() <= maxBytes) {
            return;
        }
        List<Map.Entry<String, Log>> all = new ArrayList<>(topics.entrySet());
        all.sort(Comparator.comparingLong(en -> en.getValue().lastAppendMillis));
        long target = maxBytes / 10 * 9;
        for (Map.Entry<String, Log> en : all) {
            if (bytes.get() <= target) {
                break;
            }
            if (en.getKey().equals(appended)) {
                continue;
            }
            Log log = en.getValue();
            synchronized (log) {
                if (!log.gone) {
                    remove(en.getKey(), log);
                }
            }
        }
    }

    /** Topics with a history, for metrics and tests. */
    public int topicCount() {
        return topics.size();
    }

    /** The estimated bytes all histories take. */
    public long bytes() {
        return bytes.get();
    }
}
