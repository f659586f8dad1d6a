package io.herald.client;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakeException;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler.ClientHandshakeStateEvent;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of one connection ({@link ClientPipeline}): tells the client when the upgrade completed and
 * hands it every {@link ServerMessage}; answers the server's close frame with the same code (RFC 6455 §5.5.1);
 * and records why the connection ended as a {@link Disconnect}, which the client reads once the channel closed.
 * Everything before it has already released the frames; a stray message is released here.
 */
final class ClientConnectionHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ClientConnectionHandler.class);

    /** The client, as one connection sees it. Called on the connection's event loop. */
    interface Session {
        void opened(Channel channel);

        void received(Channel channel, ServerMessage message);
    }

    private final Session session;
    private Disconnect disconnect;
    private boolean open;

    ClientConnectionHandler(Session session) {
        this.session = session;
    }

    /** Why the connection ended; null when nothing was recorded (the caller knows whether it ever opened). */
    Disconnect disconnect() {
        return disconnect;
    }

    boolean opened() {
        return open;
    }

    /** {@code close()}: the first recorded reason wins, so a close racing a server close keeps the server's. */
    void closeByClient(Channel channel) {
        record(Disconnect.closedByClient());
        channel.close(); // WebSocketClientProtocolHandler sends close 1000 first when the upgrade is done
    }

    private void record(Disconnect d) {
        if (disconnect == null) {
            disconnect = d;
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt == ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
            open = true;
            session.opened(ctx.channel());
        } else if (evt == ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
            record(Disconnect.connectFailed("upgrade timed out"));
        } else if (evt == HeartbeatHandler.TIMEOUT) {
            log.info("{} no pong in time; dropping the connection", ctx.channel());
            record(Disconnect.pongTimeout());
            ctx.close();
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ServerMessage.Close close) {
            record(Disconnect.closedByServer(close.code(), close.reason()));
            // Netty counts negative codes (none sent) as valid; those are answered with an empty close.
            CloseWebSocketFrame echo = close.code() >= 1000 && WebSocketCloseStatus.isValidStatusCode(close.code())
                    ? new CloseWebSocketFrame(close.code(), "") : new CloseWebSocketFrame();
            ctx.writeAndFlush(echo);
            ctx.close();
        } else if (msg instanceof ServerMessage m) {
            session.received(ctx.channel(), m);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof WebSocketClientHandshakeException h && h.response() != null) {
            record(Disconnect.handshakeRefused(h.response().status().code()));
        } else if (!open) {
            record(Disconnect.connectFailed(cause.toString()));
        } else {
            record(Disconnect.connectionLost(cause.toString()));
        }
        log.debug("{} failed: {}", ctx.channel(), cause.toString());
        ctx.close();
    }
}
