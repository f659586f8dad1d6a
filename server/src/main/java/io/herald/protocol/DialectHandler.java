package io.herald.protocol;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.PrematureChannelClosureException;
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
import java.util.ArrayDeque;

/**
 * The JSON dialect router: last inbound handler of a WebSocket connection, after the frame decoder, UTF-8
 * validator and frame aggregator. It answers control frames (RFC 6455 §5.5), applies the §8.4 command rate,
 * hands complete text messages to the connection's {@link Dialect}, and takes the connection out of the hub
 * and the registry when the channel goes. Releases every frame it reads.
 */
public final class DialectHandler extends SimpleChannelInboundHandler<WebSocketFrame> {
    private static final Logger log = LoggerFactory.getLogger(DialectHandler.class);

    private final Connection connection;
    private final ConnectionCore core;
    private boolean opened;
    private ChannelHandlerContext ctx;
    /**
     * Frames that came before {@link #open()}: the client sent them right behind its upgrade request, before the
     * 101 went out. At most what one read held; handed to the dialect in order once the connection is open.
     */
    private ArrayDeque<WebSocketFrame> early;
    /** Early frames kept at most; a client that sends more before the 101 is out is not a client (§8.4). */
    static final int MAX_EARLY = 16;

    public DialectHandler(Connection connection, ConnectionCore core) {
        this.connection = connection;
        this.core = core;
    }

    public Connection connection() {
        return connection;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        dropEarly();
    }

    /**
     * Counts and registers the connection and lets the dialect greet it, then hands it the frames that came
     * early. Called once the 101 is written.
     */
    public void open() {
        opened = true;
        core.stats().connectionOpened(connection.dialect().endpoint(), connection.subject());
        core.connections().add(connection);
        connection.dialect().onOpen(connection);
        ArrayDeque<WebSocketFrame> frames = early;
        early = null;
        if (frames != null) {
            for (WebSocketFrame f; (f = frames.poll()) != null; ) {
                try {
                    channelRead0(ctx, f);
                } finally {
                    f.release();
                }
            }
        }
    }

    private void dropEarly() {
        if (early != null) {
            early.forEach(WebSocketFrame::release);
            early = null;
        }
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
        if (!opened && !connection.isClosing()) {
            if (early != null && early.size() >= MAX_EARLY) {
                dropEarly();
                connection.fail(Disconnect.POLICY);
                return;
            }
            (early == null ? early = new ArrayDeque<>(2) : early).add(frame.retain());
            return;
        }
        boolean command = frame instanceof TextWebSocketFrame || frame instanceof BinaryWebSocketFrame
                || frame instanceof PingWebSocketFrame;
        CommandRateLimiter.Verdict verdict = connection.received(command);
        if (frame instanceof CloseWebSocketFrame close) {
            onClose(ctx, close);
            return;
        }
        if (connection.isClosing()) {
            return;
        }
        if (verdict == CommandRateLimiter.Verdict.CLOSE) {
            connection.close(Disconnect.RATE_LIMITED);
            return;
        }
        if (frame instanceof PingWebSocketFrame) {
            if (verdict == CommandRateLimiter.Verdict.ALLOW) {
                connection.send(new PongWebSocketFrame(frame.content().retain()));
            }
        } else if (verdict == CommandRateLimiter.Verdict.LIMIT && command) {
            connection.dialect().onRateLimited(connection);
        } else if (frame instanceof TextWebSocketFrame) {
            connection.dialect().onText(connection, frame.content());
        } else if (frame instanceof BinaryWebSocketFrame) {
            connection.dialect().onBinary(connection, frame.content());
        }
        // Pong frames need no answer; they count as traffic for §8.1.
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
        dropEarly();
        connection.closingByPeer();
        if (opened) {
            opened = false;
            core.connections().remove(connection);
            core.stats().connectionClosed(connection.dialect().endpoint(), connection.subject());
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof TooLongFrameException) {
            connection.close(Disconnect.TOO_BIG); // §8.4: fragments together over the limit
        } else if (cause instanceof CorruptedWebSocketFrameException violation) {
            // RFC 6455 §7.1.7: fail the connection with our own short reason (§8.7), not Netty's.
            int code = violation.closeStatus().code();
            connection.fail(code == 1007 ? Disconnect.INVALID_UTF8 : code == 1009 ? Disconnect.TOO_BIG
                    : Disconnect.PROTOCOL_ERROR);
        } else if (cause instanceof CorruptedFrameException) {
            connection.fail(Disconnect.PROTOCOL_ERROR);
        } else if (cause instanceof IOException) {
            ctx.close(); // reset by peer and the like: nothing to tell anyone
        } else if (cause instanceof PrematureChannelClosureException) {
            // The frame aggregator's word for a client that left mid-message: nothing to tell anyone either.
            log.debug("{} client closed mid-message", ctx.channel().id().asShortText());
            ctx.close();
        } else {
            log.warn("{} closing after an unexpected error", ctx.channel().id().asShortText(), cause);
            connection.close(Disconnect.INTERNAL_ERROR);
        }
    }
}
