package io.herald.protocol;

import io.herald.metrics.Stats;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;

/**
 * The JSON dialect router: last inbound handler of a WebSocket connection, after the frame decoder, UTF-8
 * validator and frame aggregator. It answers control frames (RFC 6455 §5.5), hands complete text messages
 * to the connection's {@link Dialect}, and tears the connection down from the hub when the channel goes.
 * Releases every frame it reads.
 */
public final class DialectHandler extends SimpleChannelInboundHandler<WebSocketFrame> {
    private static final Logger log = LoggerFactory.getLogger(DialectHandler.class);

    private final Connection connection;
    private final Stats stats;
    private boolean opened;

    public DialectHandler(Connection connection, Stats stats) {
        this.connection = connection;
        this.stats = stats;
    }

    public Connection connection() {
        return connection;
    }

    /** Counts the connection and lets the dialect greet it. Called by the upgrade once the 101 is written. */
    public void open() {
        opened = true;
        stats.connectionOpened(connection.dialect().endpoint(), connection.principal().subject());
        connection.dialect().onOpen(connection);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
        if (frame instanceof TextWebSocketFrame) {
            if (!connection.isClosing()) {
                connection.dialect().onText(connection, frame.content());
            }
        } else if (frame instanceof PingWebSocketFrame) {
            ctx.writeAndFlush(new PongWebSocketFrame(frame.content().retain()));
        } else if (frame instanceof CloseWebSocketFrame close) {
            onClose(ctx, close);
        } else if (frame instanceof BinaryWebSocketFrame) {
            connection.close(Disconnect.UNSUPPORTED_DATA); // §8.4: JSON endpoints take text only
        }
        // Pong frames need no answer.
    }

    private void onClose(ChannelHandlerContext ctx, CloseWebSocketFrame close) {
        if (connection.isClosing()) {
            ctx.close(); // the answer to our own close frame: handshake done
            return;
        }
        connection.closingByPeer();
        // RFC 6455 §5.5.1: echo the status code, then close the TCP connection.
        int code = close.statusCode();
        CloseWebSocketFrame answer = code < 0 ? new CloseWebSocketFrame() : new CloseWebSocketFrame(code, null);
        ctx.writeAndFlush(answer).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        connection.closingByPeer();
        if (opened) {
            stats.connectionClosed(connection.dialect().endpoint(), connection.principal().subject());
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof TooLongFrameException) {
            connection.close(Disconnect.TOO_BIG);
        } else if (cause instanceof CorruptedWebSocketFrameException || cause instanceof CorruptedFrameException) {
            // Netty's decoder has already sent its own close frame for the violation.
            ctx.close();
        } else if (cause instanceof IOException) {
            ctx.close(); // reset by peer and the like: nothing to tell anyone
        } else {
            log.warn("{} closing after an unexpected error", ctx.channel().id().asShortText(), cause);
            connection.close(Disconnect.INTERNAL_ERROR);
        }
    }
}
