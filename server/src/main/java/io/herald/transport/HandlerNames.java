package io.herald.transport;

/**
 * The name of every handler Herald puts in a channel pipeline, in pipeline order.
 *
 * <p>A new connection starts as HTTP ({@value #TLS} only when TLS is configured):
 * <pre>
 *   {@value #TLS} → {@value #HTTP_ENCODER} → {@value #HTTP_DECODER} → {@value #HTTP_METHOD_GATE} → {@value #HTTP_AGGREGATOR}
 *     → {@value #HTTP_TIMEOUT} → {@value #HTTP_ROUTER}
 * </pre>
 * The method gate and the aggregator hold each request to its route's {@link RouteSpec} (§9: 405, 413) before
 * the body is buffered. {@link HttpRouter} answers plain HTTP itself (publish API, health, stats, metrics). For an
 * upgrade on a dialect's path it checks origin, capacity and token, then puts the WebSocket stages in place of
 * itself, the method gate, the aggregator and the request timeout <em>before</em> the 101 is written, and lets
 * Netty's handshaker replace the request decoder with the frame decoder: bytes the client sent right behind its
 * request (a first frame in the same write) flow from the old decoder into the new one and on to the dialect,
 * instead of being lost. Leaving:
 * <pre>
 *   {@value #TLS} → {@value #WS_TRANSPORT} → {@value #WS_ENCODER} → {@value #WS_DECODER} → ({@value #WS_INFLATE}) → {@value #WS_UTF8}
 *     → {@value #WS_AGGREGATOR} → {@value #WS_DIALECT}
 * </pre>
 * Event frames are written pre-encoded as {@code ByteBuf}s from {@value #WS_TRANSPORT} (the connection's
 * {@code WebSocketTransport}, which reports each one taken to the connection's §8.3 bound), next to the socket: they
 * meet no handler but TLS on the way out. {@code WebSocketFrame}s (pongs, close frames) go from the tail through the
 * encoder and pass the transport.
 */
public final class HandlerNames {
    public static final String TLS = "tls";
    /** Separate decoder and encoder (not {@code HttpServerCodec}), so that the upgrade can replace the decoder alone. */
    public static final String HTTP_ENCODER = "http-encoder";
    public static final String HTTP_DECODER = "http-decoder";
    public static final String HTTP_METHOD_GATE = "http-method-gate";
    public static final String HTTP_AGGREGATOR = "http-aggregator";
    public static final String HTTP_TIMEOUT = "http-timeout";
    public static final String HTTP_ROUTER = "http-router";
    /** Takes the router's place for a streaming answer (the admin topic tail). */
    public static final String HTTP_STREAM = "http-stream";
    /** The one-shot handler of an upgrade request ({@code WebSocketUpgrade}), behind the router, gone after it. */
    public static final String WS_UPGRADE = "ws-upgrade";
    /** Names Netty's {@code WebSocketServerHandshaker} gives the codec it installs. */
    public static final String WS_ENCODER = "wsencoder";
    public static final String WS_DECODER = "wsdecoder";
    /** RFC 7692's inbound inflater, when permessage-deflate was agreed (between the frame decoder and UTF-8). */
    public static final String WS_INFLATE = "ws-inflate";
    public static final String WS_UTF8 = "ws-utf8";
    public static final String WS_AGGREGATOR = "ws-aggregator";
    public static final String WS_DIALECT = "ws-dialect";
    public static final String WS_TRANSPORT = "ws-transport";

    private HandlerNames() {
    }
}
