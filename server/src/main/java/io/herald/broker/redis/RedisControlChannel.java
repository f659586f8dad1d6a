package io.herald.broker.redis;

import io.herald.broker.BrokerUnavailableException;
import io.herald.broker.ControlChannel;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The {@link ControlChannel} over the Redis broker's connections, apart from topic traffic: each instance receives on
 * the channel {@code {prefix}control:{tag}} (subscribed like a topic, so restored like one after an outage) and
 * advertises its tag every {@link #BEAT_MILLIS} in the sorted set {@code {prefix}control:tags}, scored by time. The
 * set of tags seen within {@link #LIVE_MILLIS} is read back with every beat; a tag missing from it is checked once
 * more in Redis before a send fails, so an instance that has just started is reachable at once.
 */
public final class RedisControlChannel implements ControlChannel {
    private static final Logger log = LoggerFactory.getLogger(RedisControlChannel.class);
    static final String CHANNEL = "control:";
    static final long BEAT_MILLIS = 1_000;
    static final long LIVE_MILLIS = 5_000;

    private final RedisBroker broker;
    private final LiveMembers tags;
    private volatile Set<String> live = Set.of();
    private volatile String tag;
    private ScheduledFuture<?> beat;

    public RedisControlChannel(RedisBroker broker, String prefix) {
        this.broker = broker;
        this.tags = new LiveMembers((prefix + CHANNEL + "tags").getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public CompletionStage<Void> open(String tag, Consumer<byte[]> handler) {
        this.tag = tag;
        return broker.receiveControl(CHANNEL + tag, handler).thenRun(() -> {
            synchronized (this) {
                if (beat == null) {
                    beat = broker.thread().scheduleWithFixedDelay(this::beat, 0, BEAT_MILLIS, TimeUnit.MILLISECONDS);
                }
            }
        });
    }

    /** Broker thread: advertises this instance's tag and reads back every live one. */
    private void beat() {
        RedisClusterAsyncCommands<byte[], byte[]> cmd = broker.commands();
        String own = tag;
        if (cmd == null || own == null) {
            return;
        }
        long now = System.currentTimeMillis();
        tags.advertise(cmd, own.getBytes(StandardCharsets.UTF_8), now);
        tags.since(cmd, now - LIVE_MILLIS)
                .thenAccept(this::readLive)
                .exceptionally(t -> {
                    log.debug("control channel: live tags not read: {}", t.toString());
                    return null;
                });
    }

    private void readLive(List<byte[]> tags) {
        Set<String> now = new HashSet<>(tags.size() * 2);
        for (byte[] t : tags) {
            now.add(new String(t, StandardCharsets.UTF_8));
        }
        live = Set.copyOf(now);
    }

    @Override
    public boolean isLive(String t) {
        return t.equals(tag) || live.contains(t);
    }

    @Override
    public CompletionStage<Void> send(String to, byte[] message) {
        RedisClusterAsyncCommands<byte[], byte[]> cmd = broker.commands();
        if (cmd == null || !broker.connected()) {
            return CompletableFuture.failedFuture(new BrokerUnavailableException("Redis is not connected"));
        }
        if (isLive(to)) {
            return broker.publishControl(CHANNEL + to, message);
        }
        // Not among the tags last read: an instance that started since may hold it. One look in Redis decides.
        return tags.lastSeen(cmd, to.getBytes(StandardCharsets.UTF_8)).toCompletableFuture().thenCompose(score -> {
            if (score == null || score < System.currentTimeMillis() - LIVE_MILLIS) {
                return CompletableFuture.failedFuture(new UnknownInstanceException(to));
            }
            return broker.publishControl(CHANNEL + to, message);
        });
    }

    static final String BUS = "control:bus";

    @Override
    public CompletionStage<Void> openBroadcast(Consumer<byte[]> handler) {
        return broker.receiveControl(BUS, handler);
    }

    @Override
    public CompletionStage<Void> broadcast(byte[] message) {
        if (broker.commands() == null || !broker.connected()) {
            return CompletableFuture.failedFuture(new BrokerUnavailableException("Redis is not connected"));
        }
        return broker.publishControl(BUS, message);
    }

    @Override
    public int liveInstances() {
        Set<String> now = live;
        String own = tag;
        return own == null || now.contains(own) ? Math.max(1, now.size()) : now.size() + 1;
    }

    @Override
    public void close() {
        synchronized (this) {
            if (beat != null) {
                beat.cancel(false);
                beat = null;
            }
        }
        RedisClusterAsyncCommands<byte[], byte[]> cmd = broker.commands();
        String own = tag;
        if (cmd != null && own != null) {
            try {
                tags.withdraw(cmd, own.getBytes(StandardCharsets.UTF_8)).toCompletableFuture().get(2, TimeUnit.SECONDS);
            } catch (Exception e) {
                log.debug("control channel: tag not withdrawn: {}", e.toString());
            }
        }
    }
}
