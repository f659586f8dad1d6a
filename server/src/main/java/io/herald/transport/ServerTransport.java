package io.herald.transport;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The listening socket and its event loops: native epoll on Linux, NIO elsewhere. One acceptor thread and
 * one worker loop per core; the hub shards subscriptions by these worker loops.
 */
public final class ServerTransport {
    private final boolean epoll;
    private final EventLoopGroup acceptor;
    private final EventLoopGroup workers;
    private Channel listener;

    public ServerTransport(int workerThreads) {
        this.epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        this.acceptor = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("herald-accept"), io);
        this.workers = new MultiThreadIoEventLoopGroup(workerThreads, new DefaultThreadFactory("herald-io"), io);
    }

    /** "epoll" or "nio", for the start-up line. */
    public String name() {
        return epoll ? "epoll" : "nio";
    }

    /** The client socket channel of this transport, for Herald's own outbound connections (§12 auth proxy). */
    public Class<? extends io.netty.channel.Channel> clientChannel() {
        return epoll ? io.netty.channel.epoll.EpollSocketChannel.class : io.netty.channel.socket.nio.NioSocketChannel.class;
    }

    public EventLoopGroup workers() {
        return workers;
    }

    /** Binds, waiting at most {@code timeout}; the exception names the address that failed. */
    public InetSocketAddress bind(String host, int port, ChannelInitializer<SocketChannel> initializer, Duration timeout) {
        Class<? extends ServerChannel> channelClass = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        ServerBootstrap b = new ServerBootstrap()
                .group(acceptor, workers)
                .channel(channelClass)
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childHandler(initializer);
        var future = b.bind(host, port);
        if (!future.awaitUninterruptibly(timeout.toMillis(), TimeUnit.MILLISECONDS) || !future.isSuccess()) {
            Throwable cause = future.cause();
            throw new IllegalStateException("cannot listen on " + host + ":" + port
                    + (cause != null ? " (" + cause.getMessage() + ")" : " (timed out)"), cause);
        }
        listener = future.channel();
        return (InetSocketAddress) listener.localAddress();
    }

    /** Stops accepting new connections; open ones stay. */
    public void stopAccepting() {
        if (listener != null) {
            listener.close().awaitUninterruptibly();
        }
    }

    /** Closes everything and releases the event loops, waiting at most {@code timeout}. */
    public void shutdown(Duration timeout) {
        stopAccepting();
        var a = acceptor.shutdownGracefully(0, timeout.toMillis(), TimeUnit.MILLISECONDS);
        var w = workers.shutdownGracefully(0, timeout.toMillis(), TimeUnit.MILLISECONDS);
        a.awaitUninterruptibly(timeout.toMillis());
        w.awaitUninterruptibly(timeout.toMillis());
    }
}
