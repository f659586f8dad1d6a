package io.herald.hub;

import io.herald.metrics.Stats;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.concurrent.EventExecutor;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.LongAdder;

/**
 * The subscription index and fan-out (STYLE.md: "encode once, fan out").
 *
 * <p>Subscriptions are sharded by event loop: a connection is indexed in the {@link HubShard} of its own
 * loop and only that loop touches the shard. A global map records which shards have interest in which
 * topic; it changes only when a shard gains its first or loses its last subscriber of a topic, and it is
 * what reports first subscriber / last subscriber left to the {@link InterestListener} (the broker).
 *
 * <p>{@link #publish} renders the event once per dialect, then gives every interested loop exactly one task;
 * that task hands each local subscriber a {@code retainedDuplicate()} of its dialect's frame. Tasks from one
 * publishing thread reach a loop in order, which keeps §3's per-topic ordering.
 */
public final class Hub {
    private static final HubShard[] NO_SHARDS = new HubShard[0];

    private final FrameRenderer[] renderers;
    private final InterestListener interest;
    private final ByteBufAllocator alloc;
    private final Stats stats;
    private final ConcurrentHashMap<EventExecutor, HubShard> shards = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, TopicInterest> topics = new ConcurrentHashMap<>();
    private final LongAdder subscriptions = new LongAdder();

    /** Which shards hold subscribers of one topic, and the broker's promise for it. */
    private static final class TopicInterest {
        volatile HubShard[] shards = NO_SHARDS;
        CompletableFuture<Void> ready;
    }

    public Hub(List<? extends FrameRenderer> renderers, InterestListener interest, ByteBufAllocator alloc, Stats stats) {
        this.renderers = renderers.toArray(new FrameRenderer[0]);
        this.interest = interest;
        this.alloc = alloc;
        this.stats = stats;
    }

    /**
     * Subscribes on the subscriber's own loop. The returned stage completes when events of the topic are
     * sure to reach this instance; answer {@code subscribed} only then (§3). When it fails the caller must
     * {@link #unsubscribe}, so that the topic's interest is dropped and a later subscribe asks the broker anew.
     */
    public CompletionStage<Void> subscribe(Subscriber s, String topic) {
        assert s.eventLoop().inEventLoop();
        if (s.topics().add(topic)) {
            HubShard shard = shards.computeIfAbsent(s.eventLoop(), HubShard::new);
            subscriptions.increment();
            if (shard.add(topic, s)) {
                return topics.compute(topic, (name, ti) -> {
                    if (ti == null) {
                        ti = new TopicInterest();
                        ti.ready = firstSubscriber(name);
                    }
                    HubShard[] old = ti.shards;
                    HubShard[] grown = Arrays.copyOf(old, old.length + 1);
                    grown[old.length] = shard;
                    ti.shards = grown;
                    return ti;
                }).ready;
            }
        }
        TopicInterest ti = topics.get(topic);
        return ti != null ? ti.ready : CompletableFuture.completedFuture(null);
    }

    /**
     * {@link #subscribe}, completing on the subscriber's loop; a subscription the broker could not confirm is
     * undone there before the stage fails, so the client may simply retry. What every kind of subscriber uses.
     */
    public CompletionStage<Void> subscribeOrUndo(Subscriber s, String topic) {
        CompletableFuture<Void> answer = new CompletableFuture<>();
        subscribe(s, topic).whenComplete((ok, failure) -> {
            Runnable settle = () -> {
                if (failure != null) {
                    unsubscribe(s, topic);
                    answer.completeExceptionally(failure);
                } else {
                    answer.complete(null);
                }
            };
            if (s.eventLoop().inEventLoop()) {
                settle.run();
            } else {
                s.eventLoop().execute(settle);
            }
        });
        return answer;
    }

    /** Never throws: a broker that fails to subscribe fails the stage instead (the subscriber rolls back). */
    private CompletableFuture<Void> firstSubscriber(String topic) {
        try {
            return interest.firstSubscriber(topic).toCompletableFuture();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Unsubscribes on the subscriber's own loop; returns false when it was not subscribed. */
    public boolean unsubscribe(Subscriber s, String topic) {
        assert s.eventLoop().inEventLoop();
        if (!s.topics().remove(topic)) {
            return false;
        }
        leave(s, topic);
        return true;
    }

    /** Drops every subscription of a closing connection. */
    public void unsubscribeAll(Subscriber s) {
        for (String topic : s.topics()) {
            leave(s, topic);
        }
        s.topics().clear();
    }

    private void leave(Subscriber s, String topic) {
        subscriptions.decrement();
        HubShard shard = shards.get(s.eventLoop());
        if (shard == null || !shard.remove(topic, s)) {
            return;
        }
        topics.computeIfPresent(topic, (name, ti) -> {
            HubShard[] old = ti.shards;
            HubShard[] shrunk = new HubShard[old.length - 1];
            for (int i = 0, j = 0; i < old.length; i++) {
                if (old[i] != shard) {
                    shrunk[j++] = old[i];
                }
            }
            if (shrunk.length == 0) {
                interest.lastSubscriberLeft(name);
                return null;
            }
            ti.shards = shrunk;
            return ti;
        });
    }

    /** Fans one event out to every local subscriber of its topic. Callable from any thread; never blocks. */
    public void publish(Envelope envelope) {
        long publishedNanos = System.nanoTime();
        stats.countPublished();
        String topic = envelope.topic().name();
        TopicInterest ti = topics.get(topic);
        if (ti == null) {
            return;
        }
        HubShard[] targets = ti.shards;
        ByteBuf[] frames = new ByteBuf[renderers.length];
        boolean any = false;
        try {
            for (int i = 0; i < renderers.length; i++) {
                frames[i] = renderers[i].render(envelope, alloc);
                any |= frames[i] != null;
            }
        } catch (RuntimeException e) {
            Publication.releaseFrames(frames);
            throw e;
        }
        if (!any || targets.length == 0) {
            Publication.releaseFrames(frames);
            return;
        }
        Publication pub = new Publication(topic, envelope.offset(), envelope.epoch(), frames, targets.length, publishedNanos);
        toShards(Arrays.asList(targets), pub, shard -> shard.deliver(pub, stats));
    }

    /** One task per shard, each delivering {@code pub} its way and counting what it delivered. */
    private void toShards(Iterable<HubShard> targets, Publication pub, java.util.function.ToIntFunction<HubShard> deliver) {
        for (HubShard shard : targets) {
            try {
                shard.loop.execute(() -> stats.countDelivered(deliver.applyAsInt(shard)));
            } catch (RejectedExecutionException e) {
                pub.shardDone(); // the loop is shutting down; its connections are gone with it
            }
        }
    }

    /**
     * §12 Socket.IO rooms: {@code frame} (already rendered for renderer {@code slot}, owned by the hub from now on) to
     * every local subscriber of that slot holding any of {@code topics} and none of {@code except}, once each. One task
     * per event loop that holds any of the topics. Callable from any thread; never blocks.
     */
    public void publishRooms(int slot, ByteBuf frame, List<String> topics, List<String> except) {
        long publishedNanos = System.nanoTime();
        stats.countPublished();
        java.util.Set<HubShard> targets = new java.util.LinkedHashSet<>();
        for (String t : topics) {
            TopicInterest ti = this.topics.get(t);
            if (ti != null) {
                targets.addAll(Arrays.asList(ti.shards));
            }
        }
        ByteBuf[] frames = new ByteBuf[renderers.length];
        frames[slot] = frame;
        if (targets.isEmpty()) {
            Publication.releaseFrames(frames);
            return;
        }
        String[] to = topics.toArray(new String[0]);
        String[] not = except.toArray(new String[0]);
        Publication pub = new Publication(to[0], 0, null, frames, targets.size(), publishedNanos);
        toShards(targets, pub, shard -> shard.deliverRooms(pub, to, not, stats));
    }

    /** Topics with at least one local subscriber. */
    public int topicCount() {
        return topics.size();
    }

    /** Connection-topic pairs. */
    public long subscriptionCount() {
        return subscriptions.sum();
    }

    /** True while some local connection is subscribed to the topic. */
    public boolean hasSubscribers(String topic) {
        return topics.containsKey(topic);
    }
}
