package io.herald.broker.redis;

import io.lettuce.core.SetArgs;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * §9 cluster stats: every instance writes its own figures to {@code {prefix}instance:{id}} with a short TTL,
 * every {@link #PERIOD_MILLIS}, and records its id in the sorted set {@code {prefix}instances} scored by the
 * time of that write. A reader takes the ids written within the TTL and reads their figures; an instance that
 * stopped (or died) drops out within the TTL, and a clean stop removes itself at once. Works unchanged on a
 * Redis Cluster: every command names one key.
 */
final class InstanceRegistry {
    private static final Logger log = LoggerFactory.getLogger(InstanceRegistry.class);
    static final long PERIOD_MILLIS = 2000;
    static final long TTL_SECONDS = 10;

    private final LiveMembers index;
    private final byte[] ownKey;
    private final byte[] ownId;
    private final String prefix;
    private final ScheduledExecutorService thread;
    private final Supplier<RedisClusterAsyncCommands<byte[], byte[]>> commands;
    private volatile Supplier<byte[]> snapshot;
    private ScheduledFuture<?> task;

    InstanceRegistry(String prefix, String instanceId, ScheduledExecutorService thread,
                     Supplier<RedisClusterAsyncCommands<byte[], byte[]>> commands) {
        this.prefix = prefix;
        this.index = new LiveMembers(bytes(prefix + "instances"));
        this.ownKey = instanceKey(instanceId);
        this.ownId = bytes(instanceId);
        this.thread = thread;
        this.commands = commands;
    }

    private byte[] instanceKey(String id) {
        return bytes(prefix + "instance:" + id);
    }

    /** Where this instance's figures come from; written at once, then every period. */
    void report(Supplier<byte[]> snapshot) {
        this.snapshot = snapshot;
        thread.execute(this::write);
    }

    void start() {
        task = thread.scheduleWithFixedDelay(this::write, PERIOD_MILLIS, PERIOD_MILLIS, TimeUnit.MILLISECONDS);
    }

    private void write() {
        RedisClusterAsyncCommands<byte[], byte[]> cmd = commands.get();
        Supplier<byte[]> s = snapshot;
        if (cmd == null || s == null) {
            return;
        }
        long now = System.currentTimeMillis();
        cmd.set(ownKey, s.get(), SetArgs.Builder.ex(TTL_SECONDS));
        index.advertise(cmd, ownId, now); // ids gone for a minute are dropped (their keys expired long ago)
    }

    /** The latest figures of every live instance, this one included, as the JSON each wrote. */
    CompletionStage<List<byte[]>> reports() {
        RedisClusterAsyncCommands<byte[], byte[]> cmd = commands.get();
        if (cmd == null) {
            return CompletableFuture.failedFuture(new io.herald.broker.BrokerUnavailableException("Redis is not connected"));
        }
        long since = System.currentTimeMillis() - TTL_SECONDS * 1000;
        return index.since(cmd, since)
                .thenCompose(ids -> {
                    List<CompletableFuture<byte[]>> reads = new ArrayList<>(ids.size());
                    for (byte[] id : ids) {
                        reads.add(cmd.get(instanceKey(new String(id, StandardCharsets.UTF_8))).toCompletableFuture());
                    }
                    return CompletableFuture.allOf(reads.toArray(new CompletableFuture[0]))
                            .thenApply(v -> reads.stream().map(CompletableFuture::join).filter(Objects::nonNull).toList());
                });
    }

    /** A clean stop takes this instance out of the cluster figures at once. */
    CompletableFuture<Void> stop() {
        if (task != null) {
            task.cancel(false);
        }
        RedisClusterAsyncCommands<byte[], byte[]> cmd = commands.get();
        if (cmd == null) {
            return CompletableFuture.completedFuture(null);
        }
        return CompletableFuture.allOf(cmd.del(ownKey).toCompletableFuture(), index.withdraw(cmd, ownId).toCompletableFuture())
                .orTimeout(2, TimeUnit.SECONDS)
                .exceptionally(t -> {
                    log.debug("redis: could not deregister: {}", t.toString());
                    return null;
                });
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
