package io.herald.broker.redis;

import io.lettuce.core.Range;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;

import java.util.List;

/**
 * Which instances are alive, as a sorted set of members scored by the time each last said so: what the cluster
 * stats ({@link InstanceRegistry}, by instance id) and the control channel ({@link RedisControlChannel}, by tag)
 * both need. One key per set, so it works unchanged on a Redis Cluster. Members silent for a minute are removed.
 */
final class LiveMembers {
    private static final long FORGET_MILLIS = 60_000;

    private final byte[] key;

    LiveMembers(byte[] key) {
        this.key = key;
    }

    /** {@code member} is alive now; members silent for a minute go. */
    void advertise(RedisClusterAsyncCommands<byte[], byte[]> cmd, byte[] member, long nowMillis) {
        cmd.zadd(key, nowMillis, member);
        cmd.zremrangebyscore(key, Range.create(0, nowMillis - FORGET_MILLIS));
    }

    /** The members that said they were alive at {@code sinceMillis} or later. */
    RedisFuture<List<byte[]>> since(RedisClusterAsyncCommands<byte[], byte[]> cmd, long sinceMillis) {
        return cmd.zrangebyscore(key, Range.from(Range.Boundary.including(sinceMillis), Range.Boundary.unbounded()));
    }

    /** When {@code member} last said it was alive, or null. */
    RedisFuture<Double> lastSeen(RedisClusterAsyncCommands<byte[], byte[]> cmd, byte[] member) {
        return cmd.zscore(key, member);
    }

    /** {@code member} stops at once (a clean stop). */
    RedisFuture<Long> withdraw(RedisClusterAsyncCommands<byte[], byte[]> cmd, byte[] member) {
        return cmd.zrem(key, member);
    }
}
