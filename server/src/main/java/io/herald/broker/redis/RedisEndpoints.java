package io.herald.broker.redis;

import io.herald.config.ConfigException;
import io.herald.config.ConfigKey;
import io.lettuce.core.RedisURI;

import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * §1 {@code HERALD_BROKER}: {@code redis://[:password@]host:port[/db]} (also {@code rediss://} for TLS) or
 * {@code redis-cluster://[:password@]host:port,host:port} (seed nodes of a cluster; the password, when
 * given, applies to every node).
 */
record RedisEndpoints(boolean cluster, List<RedisURI> uris) {

    static RedisEndpoints parse(String url) {
        try {
            if (url.startsWith("redis-cluster://")) {
                String rest = url.substring("redis-cluster://".length());
                String auth = "";
                int at = rest.lastIndexOf('@');
                if (at >= 0) {
                    auth = rest.substring(0, at + 1);
                    rest = rest.substring(at + 1);
                }
                List<RedisURI> uris = new ArrayList<>();
                for (String hostPort : rest.split(",")) {
                    String hp = hostPort.trim();
                    if (!hp.isEmpty()) {
                        uris.add(RedisURI.create("redis://" + auth + hp));
                    }
                }
                if (uris.isEmpty()) {
                    throw new IllegalArgumentException("no nodes");
                }
                return new RedisEndpoints(true, List.copyOf(uris));
            }
            if (url.startsWith("redis://") || url.startsWith("rediss://")) {
                return new RedisEndpoints(false, List.of(RedisURI.create(url)));
            }
        } catch (RuntimeException e) {
            // fall through to the one-line error below; the URL may hold a password, so it is not echoed
        }
        throw new ConfigException(ConfigKey.BROKER.envName()
                + ": must be local, redis://[:password@]host:port[/db] or redis-cluster://host:port,host:port");
    }

    /** The nodes without credentials, for logs. */
    String describe() {
        StringJoiner j = new StringJoiner(",", cluster ? "redis-cluster://" : "redis://", "");
        for (RedisURI u : uris) {
            j.add(u.getHost() + ":" + u.getPort());
        }
        return j.toString();
    }
}
