package io.herald.broker.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * §12: listens where {@code @socket.io/redis-adapter} and {@code @socket.io/redis-emitter} publish broadcasts for the
 * default namespace: {@code PSUBSCRIBE {key}#/#*}, which covers {@code {key}#/#} (everyone, or several rooms) and
 * {@code {key}#/#{room}#} (one room). A pattern subscription on purpose: the adapter counts its servers with
 * {@code PUBSUB NUMSUB} of its request channel, which Herald never subscribes to, so the app's requests
 * ({@code fetchSockets}, {@code serverSideEmit}) stay among its own servers and never wait for Herald.
 *
 * <p>On a connection of its own, apart from Herald's topic traffic; lettuce reconnects it and subscribes again.
 */
final class SocketIoAdapterSubscriber implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SocketIoAdapterSubscriber.class);

    private final RedisClient client;
    private final RedisURI uri;
    private final byte[] pattern;
    private final Consumer<byte[]> handler;
    private volatile StatefulRedisPubSubConnection<byte[], byte[]> connection;

    SocketIoAdapterSubscriber(ClientResources resources, RedisURI uri, String key, Consumer<byte[]> handler) {
        this.client = RedisClient.create(resources, uri);
        this.uri = uri;
        client.setOptions(ClientOptions.builder().autoReconnect(true)
                .socketOptions(io.lettuce.core.SocketOptions.builder().connectTimeout(Duration.ofSeconds(2)).build())
                .build());
        this.pattern = (glob(key) + "#/#*").getBytes(StandardCharsets.UTF_8);
        this.handler = handler;
    }

    /** Completes once the pattern subscription is in place; retries until Redis takes it. */
    CompletionStage<Void> start() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        connect(done);
        return done;
    }

    private void connect(CompletableFuture<Void> done) {
        client.connectPubSubAsync(ByteArrayCodec.INSTANCE, uri).whenComplete((c, failure) -> {
            if (failure != null) {
                log.warn("socket.io adapter ingress: Redis not reachable yet ({}); retrying", failure.toString());
                CompletableFuture.delayedExecutor(1, java.util.concurrent.TimeUnit.SECONDS).execute(() -> connect(done));
                return;
            }
            connection = c;
            c.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(byte[] p, byte[] channel, byte[] message) {
                    handler.accept(message);
                }
            });
            c.async().psubscribe(pattern).whenComplete((ok, t) -> {
                if (t != null) {
                    done.completeExceptionally(t);
                } else {
                    done.complete(null);
                }
            });
        });
    }

    /** Escapes Redis glob characters in the adapter's key prefix. */
    static String glob(String key) {
        StringBuilder b = new StringBuilder(key.length() + 4);
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
                b.append('\\');
            }
            b.append(c);
        }
        return b.toString();
    }

    @Override
    public void close() {
        StatefulRedisPubSubConnection<byte[], byte[]> c = connection;
        if (c != null) {
            c.closeAsync();
        }
        client.shutdownAsync(0, 2, java.util.concurrent.TimeUnit.SECONDS);
    }
}
