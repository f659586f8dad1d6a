package io.herald.client;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageDecoder;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * Turns whole WebSocket messages (after {@code WebSocketFrameAggregator}) into {@link ServerMessage}s through the
 * dialect: text frames are parsed with jackson-core streaming ({@link JsonFrame}), close frames become
 * {@link ServerMessage.Close}. Sits after the aggregator in {@link ClientPipeline}.
 *
 * <p>Releases every frame it reads ({@link MessageToMessageDecoder} does, after {@code decode}); what it passes
 * on holds no buffers. A malformed text frame or a binary one (the JSON endpoints never send them, §8.4) is
 * dropped with a debug line rather than failing the connection.
 */
final class ServerFrameDecoder extends MessageToMessageDecoder<WebSocketFrame> {
    private static final Logger log = LoggerFactory.getLogger(ServerFrameDecoder.class);

    private final ClientDialect dialect;

    ServerFrameDecoder(ClientDialect dialect) {
        super(WebSocketFrame.class);
        this.dialect = dialect;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, WebSocketFrame frame, List<Object> out) {
        if (frame instanceof TextWebSocketFrame) {
            try {
                ServerMessage m = dialect.classify(JsonFrame.read(frame.content()));
                if (m != null) {
                    out.add(m);
                } else if (log.isDebugEnabled()) {
                    log.debug("{} ignored a frame of no known type", ctx.channel());
                }
            } catch (JsonFrame.MalformedFrameException e) {
                log.debug("{} dropped a malformed frame: {}", ctx.channel(), e.getMessage());
            }
        } else if (frame instanceof CloseWebSocketFrame close) {
            out.add(new ServerMessage.Close(close.statusCode(), close.reasonText()));
        } else if (log.isDebugEnabled()) {
            log.debug("{} dropped a {}", ctx.channel(), frame.getClass().getSimpleName());
        }
    }
}
