package io.herald.protocol;

import io.herald.auth.Principal;
import io.herald.hub.Hub;
import io.herald.hub.Subscriber;
import io.herald.hub.Topic;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * One authenticated WebSocket connection as dialects and the hub see it. Confined to its channel's event
 * loop: every method must be called there.
 */
public final class Connection implements Subscriber {
    /** RFC 6455 §7.1.1: after our close frame, wait this long for the client's before dropping TCP. */
    static final long CLOSE_HANDSHAKE_MILLIS = 2000;

    private final Channel channel;
    private final Dialect dialect;
    private final Principal principal;
    private final String pathParameter;
    private final Hub hub;
    private final Set<String> topics = new HashSet<>(4);
    private boolean closing;

    public Connection(Channel channel, Dialect dialect, Principal principal, String pathParameter, Hub hub) {
        this.channel = channel;
        this.dialect = dialect;
        this.principal = principal;
        this.pathParameter = pathParameter;
        this.hub = hub;
    }

    public Principal principal() {
        return principal;
    }

    /** The id in the upgrade path, such as the sync endpoint's {@code device_id}; may be null. */
    public String pathParameter() {
        return pathParameter;
    }

    public Dialect dialect() {
        return dialect;
    }

    public Channel channel() {
        return channel;
    }

    /** Subscribes in the hub; the stage completes when the subscription is confirmed (§3). */
    public CompletionStage<Void> subscribe(Topic topic) {
        return hub.subscribe(this, topic.name());
    }

    public boolean unsubscribe(Topic topic) {
        return hub.unsubscribe(this, topic.name());
    }

    public boolean isSubscribed(Topic topic) {
        return topics.contains(topic.name());
    }

    /** Sends a reply frame made by {@link TextFrames}; takes ownership. */
    public void send(ByteBuf frame) {
        if (closing || !channel.isActive()) {
            frame.release();
            return;
        }
        channel.writeAndFlush(frame, channel.voidPromise());
    }

    /** Runs {@code task} on this connection's loop (for completions that arrive on other threads). */
    public void execute(Runnable task) {
        EventExecutor loop = channel.eventLoop();
        if (loop.inEventLoop()) {
            task.run();
        } else {
            loop.execute(task);
        }
    }

    public boolean isClosing() {
        return closing;
    }

    /**
     * Starts the closing handshake with {@code why}: our close frame, then TCP close when the client answers
     * or after {@link #CLOSE_HANDSHAKE_MILLIS}. Idempotent.
     */
    public void close(Disconnect why) {
        if (closing) {
            return;
        }
        closing = true;
        hub.unsubscribeAll(this);
        if (!channel.isActive()) {
            return;
        }
        channel.writeAndFlush(new CloseWebSocketFrame(why.code(), why.reason()));
        ScheduledFuture<?> timeout = channel.eventLoop().schedule(
                () -> { channel.close(); }, CLOSE_HANDSHAKE_MILLIS, TimeUnit.MILLISECONDS);
        channel.closeFuture().addListener(f -> timeout.cancel(false));
    }

    /** Marks the connection closing without a frame of ours (the client started the close). */
    void closingByPeer() {
        closing = true;
        hub.unsubscribeAll(this);
    }

    // --- Subscriber ---

    @Override
    public EventExecutor eventLoop() {
        return channel.eventLoop();
    }

    @Override
    public int rendererSlot() {
        return dialect.endpoint().ordinal();
    }

    @Override
    public Set<String> topics() {
        return topics;
    }

    @Override
    public boolean deliver(ByteBuf frame) {
        if (closing || !channel.isActive()) {
            ReferenceCountUtil.release(frame);
            return false;
        }
        channel.writeAndFlush(frame, channel.voidPromise());
        return true;
    }
}
