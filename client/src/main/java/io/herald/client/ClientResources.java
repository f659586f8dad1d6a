package io.herald.client;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The I/O threads clients run on. Create once, share between clients, shut down explicitly after the last
 * client closed. A client created without resources makes its own and shuts them down on {@code close()}.
 * Each client lives on one event loop of the group: its connection, timers and listener calls.
 */
public final class ClientResources implements AutoCloseable {
    public static final int DEFAULT_IO_THREADS = 1;

    private final EventLoopGroup group;

    private ClientResources(int ioThreads) {
        if (ioThreads < 1) {
            throw new IllegalArgumentException("ioThreads must be at least 1, was " + ioThreads);
        }
        this.group = new MultiThreadIoEventLoopGroup(ioThreads, new DefaultThreadFactory("herald-client", true),
                NioIoHandler.newFactory());
    }

    public static ClientResources create() {
        return create(DEFAULT_IO_THREADS);
    }

    public static ClientResources create(int ioThreads) {
        return new ClientResources(ioThreads);
    }

    EventLoop next() {
        return group.next();
    }

    /** Releases the threads, waiting at most {@code timeout}. */
    public void shutdown(Duration timeout) {
        group.shutdownGracefully(0, timeout.toMillis(), TimeUnit.MILLISECONDS).awaitUninterruptibly(timeout.toMillis());
    }

    @Override
    public void close() {
        shutdown(Duration.ofSeconds(5));
    }
}
