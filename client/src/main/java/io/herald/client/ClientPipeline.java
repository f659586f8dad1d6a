package io.herald.client;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.ssl.SslContext;

import java.net.URI;

/**
 * One connection's pipeline, and the name of each handler. In order:
 * <ol>
 *   <li>{@value #TLS}: {@code SslHandler}, for {@code wss://} only</li>
 *   <li>{@value #HTTP_CODEC}: {@code HttpClientCodec}, for the upgrade; Netty swaps in the frame codec after it</li>
 *   <li>{@value #HTTP_AGGREGATOR}: the upgrade response as one message (removed by the handshaker)</li>
 *   <li>{@value #WEBSOCKET}: {@code WebSocketClientProtocolHandler}: the handshake (with its timeout), UTF-8
 *       validation, answering WebSocket pings, dropping pongs, and the close frame on {@code close()}</li>
 *   <li>{@value #FRAME_AGGREGATOR}: fragments into whole messages, up to {@code maxMessageBytes}</li>
 *   <li>{@value #DECODER}: {@link ServerFrameDecoder}, messages into {@link ServerMessage}s (releases frames)</li>
 *   <li>{@value #HEARTBEAT}: {@link HeartbeatHandler}, JSON pings and the pong deadline (a first ping at once
 *       for a dialect without a greeting)</li>
 *   <li>{@value #CONNECTION}: {@link ClientConnectionHandler}, to the client</li>
 * </ol>
 */
final class ClientPipeline extends ChannelInitializer<SocketChannel> {
    static final String TLS = "tls";
    static final String HTTP_CODEC = "http-codec";
    static final String HTTP_AGGREGATOR = "http-aggregator";
    static final String WEBSOCKET = "websocket";
    static final String FRAME_AGGREGATOR = "frame-aggregator";
    static final String DECODER = "decoder";
    static final String HEARTBEAT = "heartbeat";
    static final String CONNECTION = "connection";

    /** The upgrade response has no body worth keeping; 16 KiB holds any headers a proxy adds. */
    private static final int MAX_UPGRADE_RESPONSE = 16 * 1024;
    /** How long {@code close()} waits for its close frame to be written before dropping TCP anyway. */
    private static final long CLOSE_WRITE_TIMEOUT_MILLIS = 1000;

    private final URI uri;
    private final HttpHeaders headers;
    private final ClientOptions options;
    private final ClientDialect dialect;
    private final SslContext tls;
    private final HeartbeatHandler.Counter counter;
    private final ClientConnectionHandler connection;

    ClientPipeline(URI uri, HttpHeaders headers, ClientOptions options, ClientDialect dialect, SslContext tls,
                   HeartbeatHandler.Counter counter, ClientConnectionHandler connection) {
        this.uri = uri;
        this.headers = headers;
        this.options = options;
        this.dialect = dialect;
        this.tls = tls;
        this.counter = counter;
        this.connection = connection;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        ChannelPipeline p = ch.pipeline();
        if (tls != null) {
            p.addLast(TLS, tls.newHandler(ch.alloc(), uri.getHost(), HeraldClient.port(uri)));
        }
        WebSocketClientProtocolConfig config = WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(uri)
                .customHeaders(headers)
                .maxFramePayloadLength(options.maxMessageBytes())
                // §8.5: a non-browser client sends no Origin, so the server's origin policy does not apply.
                .generateOriginHeader(false)
                // The close frame reaches ClientConnectionHandler, which records its code and echoes it.
                .handleCloseFrames(false)
                .sendCloseFrame(WebSocketCloseStatus.NORMAL_CLOSURE)
                .forceCloseTimeoutMillis(CLOSE_WRITE_TIMEOUT_MILLIS)
                .handshakeTimeoutMillis(options.connectTimeout().toMillis())
                .build();
        p.addLast(HTTP_CODEC, new HttpClientCodec());
        p.addLast(HTTP_AGGREGATOR, new HttpObjectAggregator(MAX_UPGRADE_RESPONSE));
        p.addLast(WEBSOCKET, new WebSocketClientProtocolHandler(config));
        p.addLast(FRAME_AGGREGATOR, new WebSocketFrameAggregator(options.maxMessageBytes()));
        p.addLast(DECODER, new ServerFrameDecoder(dialect));
        p.addLast(HEARTBEAT, new HeartbeatHandler(dialect.ping(), options.pingInterval().toNanos(),
                options.pongTimeout().toNanos(), !dialect.greets(), counter));
        p.addLast(CONNECTION, connection);
    }
}
