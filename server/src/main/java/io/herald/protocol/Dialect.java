package io.herald.protocol;

import io.herald.hub.FrameRenderer;
import io.herald.hub.Topic;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

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
