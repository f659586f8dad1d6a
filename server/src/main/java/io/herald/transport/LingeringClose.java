package io.herald.transport;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpUtil;

import java.util.concurrent.TimeUnit;

/**
 * How the HTTP stage ends a connection after refusing a request whose body may still be arriving (§9: 405, 413).
 * Closing at once would reset the connection and could destroy the answer before the client reads it, so it
 * half-closes instead: our side is done, the refusing handler reads and discards whatever else comes, and the
 * connection closes when the client closes or after {@link #LINGER_SECONDS}.
 */
final class LingeringClose {
    static final int LINGER_SECONDS = 2;

    private LingeringClose() {
    }

    /** Writes {@code response} as the connection's last and then lingers; takes ownership of it. */
    static void respond(ChannelHandlerContext ctx, FullHttpResponse response) {
        HttpUtil.setKeepAlive(response, false);
        ctx.writeAndFlush(response).addListener(f -> linger(ctx));
    }

    private static void linger(ChannelHandlerContext ctx) {
        Channel ch = ctx.channel();
        if (ch instanceof DuplexChannel duplex && ch.isActive()) {
            duplex.shutdownOutput();
            ctx.executor().schedule(() -> { ch.close(); }, LINGER_SECONDS, TimeUnit.SECONDS);
        } else {
            ch.close();
        }
    }
}
