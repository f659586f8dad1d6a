package io.herald.transport;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.ssl.SslContext;

/** Builds the pipeline every new connection starts with (see {@link HandlerNames} for the order). */
public final class HeraldChannelInitializer extends ChannelInitializer<SocketChannel> {
    /** §8.4: bounded request line and headers; a handshake needs far less. */
    static final int MAX_INITIAL_LINE = 8192;
    static final int MAX_HEADER_SIZE = 16384;
    /** §8.4: a whole request must arrive within this long (slowloris). */
    public static final long REQUEST_TIMEOUT_MILLIS = 10_000;

    private final Routes routes;
    private final HttpRouter router;
    private final SslContext tls;
    private final long requestTimeoutMillis;

    /**
     * @param routes the routes {@code router} answers; their specs bound each request (§9)
     * @param tls null for plain TCP
     */
    public HeraldChannelInitializer(Routes routes, HttpRouter router, SslContext tls, long requestTimeoutMillis) {
        this.routes = routes;
        this.router = router;
        this.tls = tls;
        this.requestTimeoutMillis = requestTimeoutMillis;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        if (tls != null) {
            ch.pipeline().addLast(HandlerNames.TLS, tls.newHandler(ch.alloc()));
        }
        configure(ch.pipeline(), routes, router, requestTimeoutMillis);
    }

    /** The HTTP stage; also used by tests on an {@code EmbeddedChannel}. */
    public static void configure(ChannelPipeline p, Routes routes, HttpRouter router, long requestTimeoutMillis) {
        p.addLast(HandlerNames.HTTP_ENCODER, new HttpResponseEncoder());
        p.addLast(HandlerNames.HTTP_DECODER, new HttpRequestDecoder(MAX_INITIAL_LINE, MAX_HEADER_SIZE, 8192));
        p.addLast(HandlerNames.HTTP_METHOD_GATE, new HttpMethodGate(routes));
        p.addLast(HandlerNames.HTTP_AGGREGATOR, new HttpBodyAggregator(routes));
        p.addLast(HandlerNames.HTTP_TIMEOUT, new RequestTimeoutHandler(requestTimeoutMillis));
        p.addLast(HandlerNames.HTTP_ROUTER, router);
    }
}
