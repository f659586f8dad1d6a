package io.herald.transport;

import io.herald.protocol.WebSocketTransport;
import io.herald.protocol.DialectHandler;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.websocketx.Utf8FrameValidator;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;

/**
 * Turns a pipeline whose handshake response was just written into Herald's WebSocket pipeline (see
 * {@link HandlerNames}): UTF-8 validation (§8.4, 1007), message aggregation bounded by {@code maxMessage}
 * (1009), the connection's dialect router and its back-pressure handler. The one place that knows the order.
 */
public final class WebSocketPipeline {
    private WebSocketPipeline() {
    }

    /**
     * The frame decoder's settings: frames over {@code maxFrame} fail with 1009, no extensions, and Netty
     * reports violations without writing a close frame itself, so Herald's own reason goes out (§8.7).
     */
    public static WebSocketDecoderConfig decoderConfig(int maxFrame) {
        return WebSocketDecoderConfig.newBuilder()
                .maxFramePayloadLength(maxFrame)
                .allowExtensions(false)
                .allowMaskMismatch(false)
                .closeOnProtocolViolation(false)
                .build();
    }

    /**
     * Replaces {@link HandlerNames#HTTP_ROUTER} (and drops the method gate, the aggregator and the request timeout)
     * with the WebSocket stages. Called before the handshake, so that frames right behind the request find them
     * (see {@link HandlerNames}); the handshaker then swaps the request decoder for the frame decoder.
     */
    public static void install(ChannelPipeline p, WebSocketTransport transport, DialectHandler handler, int maxMessage) {
        install(p, transport, handler, maxMessage, null);
    }

    /**
     * {@link #install(ChannelPipeline, WebSocketTransport, DialectHandler, int)} with RFC 7692's inbound
     * {@code inflater} (or null) between the frame decoder and UTF-8 validation, which then sees inflated text.
     */
    public static void install(ChannelPipeline p, WebSocketTransport transport, DialectHandler handler, int maxMessage,
                               io.netty.channel.ChannelHandler inflater) {
        for (String http : new String[] {HandlerNames.HTTP_METHOD_GATE, HandlerNames.HTTP_TIMEOUT, HandlerNames.HTTP_AGGREGATOR}) {
            if (p.get(http) != null) {
                p.remove(http);
            }
        }
        p.replace(HandlerNames.HTTP_ROUTER, HandlerNames.WS_DIALECT, handler);
        p.addBefore(HandlerNames.WS_DIALECT, HandlerNames.WS_UTF8, new Utf8FrameValidator(false));
        if (inflater != null) {
            p.addBefore(HandlerNames.WS_UTF8, HandlerNames.WS_INFLATE, inflater);
        }
        p.addBefore(HandlerNames.WS_DIALECT, HandlerNames.WS_AGGREGATOR, new WebSocketFrameAggregator(maxMessage));
        placeTransport(p, transport);
    }

    /**
     * Puts the transport next to the socket (after TLS, when there is TLS): pre-encoded event frames leave from there
     * and meet no other handler on their way out, instead of walking every stage's context (a cache miss each on a
     * big fan-out: 3-4% of fanout-10k's CPU, docs/benchmarks.md). {@code WebSocketFrame}s it writes go from the tail.
     */
    public static void placeTransport(ChannelPipeline p, WebSocketTransport transport) {
        if (p.get(HandlerNames.TLS) != null) {
            p.addAfter(HandlerNames.TLS, HandlerNames.WS_TRANSPORT, transport);
        } else {
            p.addFirst(HandlerNames.WS_TRANSPORT, transport);
        }
    }
}
