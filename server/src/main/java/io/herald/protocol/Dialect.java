package io.herald.protocol;

import io.herald.hub.FrameRenderer;
import io.herald.hub.Topic;
import io.netty.buffer.ByteBuf;
import io.herald.auth.BearerTokens;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;

/**
 * One WebSocket dialect (§4–§7) as a plug-in over the shared core: it turns client messages into commands
 * on its {@link Connection} and renders publications into its frames. Authentication, the hub, the broker,
 * back-pressure and heartbeats live in the core; a dialect never touches a socket directly.
 *
 * <p>Every method runs on the connection's event loop, except {@link #render}, which the hub calls once per
 * publication on the publishing thread.
 */
public interface Dialect extends FrameRenderer {

    Endpoint endpoint();

    /** §2: the token an upgrade carries, or null; by default the {@code Authorization} header, then {@code token}. */
    default String upgradeToken(HttpRequest request, QueryStringDecoder query) {
        return BearerTokens.fromUpgrade(request, query);
    }

    /**
     * True when the dialect may still authenticate after the upgrade (Socket.IO's CONNECT {@code auth}, §7): the
     * connection then opens without a valid token, with a null principal, and the dialect must refuse it itself.
     */
    default boolean authenticatesInBand() {
        return false;
    }

    /**
     * Serves a plain HTTP request on the dialect's path (Engine.IO long-polling, §7). Returns false when the
     * dialect takes only WebSocket upgrades (the router then answers 400). The router releases {@code request}
     * after this returns; a dialect that answers later copies what it needs first.
     */
    default boolean handleHttp(io.netty.channel.ChannelHandlerContext ctx, io.netty.handler.codec.http.FullHttpRequest request,
                               QueryStringDecoder query) {
        return false;
    }

    /** The connection's parameter ({@link Connection#pathParameter()}): by default the route's path parameter. */
    default String connectionParameter(QueryStringDecoder query, String pathParameter) {
        return pathParameter;
    }

    /** Refuses an upgrade request before the handshake with the returned response (say a 400), or null to go on. */
    default FullHttpResponse refuseUpgrade(HttpRequest request, QueryStringDecoder query, ByteBufAllocator alloc) {
        return null;
    }

    /**
     * Called on the connection's loop by the per-loop sweep (at most a second apart, see {@link Connections}), for
     * dialect heartbeats such as Engine.IO's server pings (§7). Must be cheap.
     */
    default void tick(Connection connection, long nowNanos) {
    }

    /**
     * Checks an authenticated upgrade beyond the token (the sync endpoint's device, §4).
     *
     * @return null to admit, else how to close
     */
    default Disconnect admit(Connection connection) {
        return null;
    }

    /** The connection is open and authenticated. */
    void onOpen(Connection connection);

    /** A complete text message; the dialect must not release {@code utf8}. */
    void onText(Connection connection, ByteBuf utf8);

    /** A complete binary message; JSON endpoints close 1003 (§8.4). The dialect must not release {@code data}. */
    default void onBinary(Connection connection, ByteBuf data) {
        connection.close(Disconnect.UNSUPPORTED_DATA);
    }

    /**
     * §8.3/§10: the frame that tells a client it missed events of {@code topic}, or null when this dialect
     * has nothing to say for that topic. Called on the connection's loop.
     */
    ByteBuf forceSync(Topic topic, ByteBufAllocator alloc);

    /** §8.4: a command over the rate limit was dropped; by default answered with a {@code rate_limited} error. */
    default void onRateLimited(Connection connection) {
        connection.send(Replies.error(connection.channel().alloc(), "rate_limited", null, null,
                "more than 50 commands per second"));
    }
}
