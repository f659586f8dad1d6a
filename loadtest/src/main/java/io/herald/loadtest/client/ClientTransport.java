package io.herald.loadtest.client;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The clients' event loops and socket options: native epoll on Linux, NIO elsewhere (as the server's
 * {@code ServerTransport}). Connections spread round-robin over the loops; each loop's clients record into that
 * loop's own latency recorder.
 */
public final class ClientTransport implements AutoCloseable {
    static final int CONNECT_TIMEOUT_MILLIS = 10_000;

    private final boolean epoll;
    private final EventLoopGroup group;
    private final Bootstrap prototype;

    public ClientTransport(int threads) {
        this.epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        this.group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("loadtest-io", true), io);
        this.prototype = new Bootstrap()
                .group(group)
                .channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MILLIS)
                .option(ChannelOption.TCP_NODELAY, true);
        if (epoll) {
            // With a source address, let connect() pick the port so each source address has the whole
            // ephemeral range per destination (bind() alone would reserve the port for every destination).
            prototype.option(EpollChannelOption.IP_BIND_ADDRESS_NO_PORT, true);
        }
    }

    /** "epoll" or "nio". */
    public String name() {
        return epoll ? "epoll" : "nio";
    }

    public EventLoopGroup group() {
        return group;
    }

    /** Connects to {@code remote}, from {@code source} when not null, with {@code handler} as the pipeline. */
    public ChannelFuture connect(InetSocketAddress remote, InetAddress source, ChannelHandler handler) {
        Bootstrap b = prototype.clone().handler(handler);
        return source == null ? b.connect(remote) : b.connect(remote, new InetSocketAddress(source, 0));
    }

    /** Releases the event loops, waiting at most {@code timeout}. */
    public void shutdown(Duration timeout) {
        group.shutdownGracefully(0, timeout.toMillis(), TimeUnit.MILLISECONDS).awaitUninterruptibly(timeout.toMillis());
    }

    @Override
    public void close() {
        shutdown(Duration.ofSeconds(5));
    }
}
