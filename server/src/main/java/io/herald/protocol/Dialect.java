package io.herald.protocol;

import io.herald.auth.BearerTokens;
import io.herald.hub.Envelope;
import io.herald.hub.FrameRenderer;
import io.herald.hub.Topic;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * One dialect (§4–§7) as a plug-in over the shared core: it only translates, client messages into commands on its
 * {@link Connection} and publications into its frames. Authentication, the hub, the broker, the outbound bound,
 * idle and expiry live in the core; a dialect never sees a socket, a channel or a transport's bytes.
 *
 * <p>Every method runs on the connection's event loop, except {@link #render}, which the hub calls once per
 * publication on the publishing thread, and the upgrade checks, which run on the upgrading channel's loop.
 *
 * @param <S> the dialect's own state per connection ({@link #newState()}), typed: no casts, no attachments
 */
public interface Dialect<S> extends FrameRenderer {

    Endpoint endpoint();

    /** A new connection's dialect state, or null for a dialect with none. */
    default S newState() {
        return null;
    }

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

    /** The connection's parameter ({@link Connection#pathParameter()}): by default the route's path parameter. */
    default String connectionParameter(QueryStringDecoder query, String pathParameter) {
        return pathParameter;
    }

    /**
     * Refuses an upgrade request before the handshake (say Engine.IO's 400): completes with the refusal, or null to
     * go on. Completed at once unless the dialect must ask the auth proxy (§12); {@code remoteAddr} is the client's.
     */
    default CompletionStage<Refusal> refuseUpgrade(HttpRequest request, QueryStringDecoder query, String remoteAddr) {
        return CompletableFuture.completedFuture(null);
    }

    /**
     * The existing connection a WebSocket upgrade continues (Engine.IO's upgrade from long-polling, §7), or null for
     * a new connection. The WebSocket is then a candidate transport: its messages go to {@link #onCandidateText}
     * until the dialect {@linkplain Connection#switchTransport switches} the connection onto it.
     */
    default Connection<S> continues(QueryStringDecoder query) {
        return null;
    }

    /** A candidate transport is open (see {@link #continues}). */
    default void onCandidateOpen(Connection<S> connection, Transport candidate) {
        candidate.close(Disconnect.NORMAL);
    }

    /**
     * The first text message on a candidate transport, on the candidate's own loop, before it goes on to
     * {@link #onCandidateText} on the connection's: a dialect may answer it at once, from the frame alone (Engine.IO
     * answers {@code 2probe} with {@code 3probe} as soon as it reads it, and clients expect no delay). Must not touch
     * the connection.
     */
    default void answerCandidate(Transport candidate, ByteBuf utf8) {
    }

    /** A text message on a candidate transport; the dialect must not release {@code utf8}. */
    default void onCandidateText(Connection<S> connection, Transport candidate, ByteBuf utf8) {
        candidate.fail(Disconnect.PROTOCOL_ERROR);
    }

    /** A candidate transport went away before the switch. */
    default void onCandidateClosed(Connection<S> connection, Transport candidate) {
    }

    /**
     * Called on the connection's loop by the per-loop sweep (at most a second apart, see {@link Connections}), for
     * dialect heartbeats such as Engine.IO's server pings (§7). Must be cheap.
     */
    default void tick(Connection<S> connection, long nowNanos) {
    }

    /**
     * Checks an authenticated upgrade beyond the token (the sync endpoint's device, §4).
     *
     * @return null to admit, else how to close
     */
    default Disconnect admit(Connection<S> connection) {
        return null;
    }

    /** The connection is open and authenticated (or authenticating in band). */
    void onOpen(Connection<S> connection);

    /** A complete text message; the dialect must not release {@code utf8}. */
    void onText(Connection<S> connection, ByteBuf utf8);

    /** A complete binary message; JSON endpoints close 1003 (§8.4). The dialect must not release {@code data}. */
    default void onBinary(Connection<S> connection, ByteBuf data) {
        connection.close(Disconnect.UNSUPPORTED_DATA);
    }

    /** The connection is over; its state's resources go. */
    default void onClosed(Connection<S> connection) {
    }

    /**
     * §8.3/§10: the frame that tells a client it missed events of {@code topic}, or null when this dialect
     * has nothing to say for that topic. Called on the connection's loop.
     */
    ByteBuf forceSync(Topic topic, ByteBufAllocator alloc);

    /** §8.4: a command over the rate limit was dropped; by default answered with a {@code rate_limited} error. */
    default void onRateLimited(Connection<S> connection) {
        connection.send(Replies.error(connection.alloc(), "rate_limited", null, null,
                "more than 50 commands per second"));
    }

    /**
     * §12 control API: the kinds of topic this endpoint delivers, which the control API may grant its connections
     * ({@link Connection#grant}); none by default.
     */
    default Set<Topic.Kind> grantable() {
        return Set.of();
    }

    /**
     * §12: {@code topic}, just granted, subscribed as if the client had asked (answering {@code subscribed} where the
     * dialect has one). By default without a frame, and §10's way: confirmed, or the connection closes 1013.
     */
    default void subscribeGranted(Connection<S> c, Topic topic) {
        c.subscribeOrClose(topic);
    }

    /** §12: {@code topic}, just taken back, unsubscribed as if the client had asked; by default without a frame. */
    default void unsubscribeGranted(Connection<S> c, Topic topic) {
        c.unsubscribe(topic);
    }

    /** §12 control API: the backend revoked this connection's user or session: close 4401 {@code revoked}. */
    default void revoke(Connection<S> c) {
        c.close(Disconnect.REVOKED);
    }

    /**
     * §12: the frame of one of the auth proxy's {@code events} (a {@code session:} envelope): by default as the dialect
     * renders its session's events; null sends nothing.
     */
    default ByteBuf greeting(Envelope event, ByteBufAllocator alloc) {
        return render(event, alloc);
    }

    /**
     * An event frame of {@code topic} at {@code offset} (§11) on its way to {@code c}: returns the frame to send (the
     * shared one, or one made for this connection, releasing the shared one), or null to send nothing (released).
     * The default sends the shared frame: only Socket.IO's connection state recovery numbers events per connection.
     */
    default ByteBuf ownFrame(Connection<S> c, String topic, long offset, String epoch, ByteBuf frame) {
        return frame;
    }

    /**
     * True when {@link #ownFrame} may make {@code c} a frame of its own from the shared one: {@code c} then takes plain
     * event frames (it reads them), even when it agreed to permessage-deflate, and compresses its own on the way out.
     */
    default boolean rendersOwnFrames(Connection<S> c) {
        return false;
    }
}
