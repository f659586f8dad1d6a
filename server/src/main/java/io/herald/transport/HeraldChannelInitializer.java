package io.herald.transport;

import io.herald.hub.EnvelopeParser;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;

/** Builds the pipeline every new connection starts with (see {@link HandlerNames} for the order). */
public final class HeraldChannelInitializer extends ChannelInitializer<SocketChannel> {
    /** Bounded request line and headers: a handshake needs far less. */
    static final int MAX_INITIAL_LINE = 8192;
    static final int MAX_HEADER_SIZE = 16384;

    private final HttpRouter router;

    public HeraldChannelInitializer(HttpRouter router) {
        this.router = router;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        configure(ch.pipeline(), router);
    }

    /** Also used by tests on an {@code EmbeddedChannel}. */
    public static void configure(ChannelPipeline p, HttpRouter router) {
        p.addLast(HandlerNames.HTTP_CODEC, new HttpServerCodec(MAX_INITIAL_LINE, MAX_HEADER_SIZE, 8192));
        p.addLast(HandlerNames.HTTP_AGGREGATOR, new HttpObjectAggregator(EnvelopeParser.MAX_BATCH_BYTES));
        p.addLast(HandlerNames.HTTP_ROUTER, router);
    }
}
