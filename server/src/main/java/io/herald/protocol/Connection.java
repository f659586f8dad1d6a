package io.herald.protocol;

import io.herald.auth.Principal;
import io.herald.hub.Subscriber;
import io.herald.hub.Topic;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * One WebSocket connection as dialects and the hub see it. Confined to its channel's event loop: every
 * method must be called there.
 */
public final class Connection implements Session, Subscriber, BackPressureHandler.SlowConsumer {
    private final Channel channel;
    private final Dialect dialect;
    private Principal principal;
    private Object attachment;
    /** While a transport takes over another's subscriptions: events kept here, in order, not yet written. */
    private List<Held> held;

    /** An event frame held back with its topic. */
    public record Held(String topic, ByteBuf frame) {
    }
    private final String pathParameter;
    private final ConnectionCore core;
    private final BackPressureHandler backPressure;
    private final CommandRateLimiter rateLimiter;
    private final Set<String> topics = new TopicSet();
    private FlushBatcher flusher;
    private boolean flushPending;
    private long lastReadNanos;
    private long deadlineMillis;
    private boolean closing;

    /**
     * @param principal    null for a connection that is only being refused
     * @param deadlineMillis §8.2: epoch millis after which the connection closes 4401
     */
    public Connection(Channel channel, Dialect dialect, Principal principal, long deadlineMillis,
                      String pathParameter, ConnectionCore core) {
        this.channel = channel;
        this.dialect = dialect;
        this.principal = principal;
        this.deadlineMillis = deadlineMillis;
        this.pathParameter = pathParameter;
        this.core = core;
        this.backPressure = new BackPressureHandler(core.policy(), core.stats(), this);
        this.lastReadNanos = System.nanoTime();
        this.rateLimiter = new CommandRateLimiter(core.policy(), lastReadNanos);
    }

    /** Null only on a dialect that authenticates in band (§7) until it has. */
    public Principal principal() {
        return principal;
    }

    /** The user id, or null before in-band authentication. */
    public String subject() {
        return principal == null ? null : principal.subject();
    }

    /** A dialect's own per-connection state (Socket.IO's session), or null. */
    public Object attachment() {
        return attachment;
    }

    public void attach(Object state) {
        this.attachment = state;
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

    /** The handler that counts and drops this connection's event frames (§8.3). */
    public BackPressureHandler backPressure() {
        return backPressure;
    }

    /**
     * Subscribes in the hub; the stage completes when the subscription is confirmed (§3). A subscription the
     * broker could not confirm is undone before the stage fails, so the client may simply retry.
     */
    public CompletionStage<Void> subscribe(Topic topic) {
        return core.hub().subscribeOrUndo(this, topic.name());
    }

    /**
     * §10: a subscription the client did not ask for one by one (realtime {@code user:}/{@code broadcast}, sync's
     * shares): when the broker cannot confirm it, the connection closes 1013 so the client reconnects, instead of
     * staying open without what it was promised. The stage still fails, for the caller to stop there.
     */
    public CompletionStage<Void> subscribeOrClose(Topic topic) {
        CompletionStage<Void> confirmed = subscribe(topic);
        confirmed.whenComplete((ok, failure) -> {
            if (failure != null) {
                close(Disconnect.TRY_AGAIN_LATER); // completes on this loop (Hub.subscribeOrUndo)
            }
        });
        return confirmed;
    }

    /** Leaves every topic (Socket.IO's DISCONNECT of the main namespace, §7). */
    public void unsubscribeAll() {
        core.hub().unsubscribeAll(this);
    }

    public boolean unsubscribe(Topic topic) {
        return core.hub().unsubscribe(this, topic.name());
    }

    public boolean isSubscribed(Topic topic) {
        return topics.contains(topic.name());
    }

    /**
     * Sends a reply frame made by {@link TextFrames}; takes ownership. Replies are not events (never dropped as
     * a slow consumer's are) but count against the connection's outbound bound (§8.3).
     */
    public void send(ByteBuf frame) {
        if (closing || !channel.isActive()) {
            frame.release();
            return;
        }
        backPressure.writeReply(frame, frame.readableBytes());
    }

    /** Sends a control or binary WebSocket frame (a pong, an attachment), counted like {@link #send}. */
    public void send(WebSocketFrame frame) {
        if (closing || !channel.isActive()) {
            frame.release();
            return;
        }
        backPressure.writeReply(frame, frame.content().readableBytes());
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

    @Override
    public boolean isClosing() {
        return closing;
    }

    @Override
    public long lastReadNanos() {
        return lastReadNanos;
    }

    @Override
    public long deadlineMillis() {
        return deadlineMillis;
    }

    @Override
    public void tick(long nowNanos) {
        dialect.tick(this, nowNanos);
    }

    /** Netty's count of what was written to the socket and not yet taken by it. */
    @Override
    public long outboundBytes() {
        var out = channel.unsafe().outboundBuffer();
        return out == null ? 0 : out.totalPendingWriteBytes();
    }

    @Override
    public void whenClosed(Runnable r) {
        channel.closeFuture().addListener(f -> r.run());
    }

    /**
     * §6 refresh: a newer token of the same user replaces the permissions and moves the §8.2 deadline. The
     * caller checked that {@code next} names the same {@code sub}.
     */
    public void refresh(Principal next, long deadlineMillis) {
        if (principal == null) {
            core.stats().userJoined(next.subject()); // in-band authentication (§7): counted from now
        }
        this.principal = next;
        this.deadlineMillis = deadlineMillis;
    }

    /** Records inbound traffic (§8.1) and asks the command limiter about it (§8.4). */
    CommandRateLimiter.Verdict received(boolean command) {
        long now = System.nanoTime();
        lastReadNanos = now;
        return command ? rateLimiter.acquire(now) : CommandRateLimiter.Verdict.ALLOW;
    }

    /**
     * Starts the closing handshake with {@code why}: our close frame, then TCP close when the client answers
     * or after the policy's close-handshake time. Idempotent.
     */
    @Override
    public void close(Disconnect why) {
        if (closing) {
            return;
        }
        closing = true;
        core.hub().unsubscribeAll(this);
        dropHeld();
        if (!channel.isActive()) {
            return;
        }
        channel.writeAndFlush(new CloseWebSocketFrame(why.code(), why.reason()));
        ScheduledFuture<?> timeout = channel.eventLoop().schedule(
                () -> { channel.close(); }, core.policy().closeHandshake().toMillis(), TimeUnit.MILLISECONDS);
        channel.closeFuture().addListener(f -> timeout.cancel(false));
    }

    /**
     * Fails the connection (RFC 6455 §7.1.7): the stream can no longer be trusted, so our close frame is the last
     * thing written and TCP closes once it is out, without waiting for the client's answer.
     */
    public void fail(Disconnect why) {
        boolean wasClosing = closing;
        closing = true;
        core.hub().unsubscribeAll(this);
        dropHeld();
        if (!channel.isActive()) {
            return;
        }
        if (wasClosing) {
            channel.close();
        } else {
            channel.writeAndFlush(new CloseWebSocketFrame(why.code(), why.reason())).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** Marks the connection closing without a frame of ours (the client started the close, or TCP is gone). */
    void closingByPeer() {
        closing = true;
        core.hub().unsubscribeAll(this);
        dropHeld();
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
    public boolean deliver(String topic, ByteBuf frame) {
        if (closing || !channel.isActive()) {
            frame.release();
            return false;
        }
        if (held != null) {
            held.add(new Held(topic, frame));
            return true;
        }
        if (!backPressure.writeEvent(topic, frame)) {
            return false;
        }
        if (flusher == null) {
            channel.flush();
        } else if (!flushPending) {
            flushPending = true;
            flusher.add(this);
        }
        return true;
    }

    /**
     * Starts holding events back (Engine.IO's upgrade from long-polling, §7): delivered frames are kept in order
     * until {@link #release} writes them after the older ones the previous transport still had.
     */
    public void hold() {
        if (held == null) {
            held = new ArrayList<>();
        }
    }

    /**
     * Writes {@code older} (the previous transport's undelivered events, in order), then what was held back,
     * leaving out frames already among {@code older} (the same publication reached both transports while
     * they overlapped; a frame is recognized by the buffer it duplicates). Takes ownership of every frame.
     */
    public void release(List<Held> older) {
        List<Held> mine = held;
        held = null;
        Set<ByteBuf> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Held h : older) {
            seen.add(origin(h.frame()));
            deliver(h.topic(), h.frame());
        }
        if (mine != null) {
            for (Held h : mine) {
                if (seen.contains(origin(h.frame()))) {
                    h.frame().release();
                } else {
                    deliver(h.topic(), h.frame());
                }
            }
        }
    }

    private void dropHeld() {
        if (held != null) {
            held.forEach(h -> h.frame().release());
            held = null;
        }
    }

    private static ByteBuf origin(ByteBuf frame) {
        ByteBuf u = frame.unwrap();
        return u != null ? u : frame;
    }

    /** Set when the connection is registered on its loop: event flushes then wait for the end of the turn. */
    void useFlusher(FlushBatcher flusher) {
        this.flusher = flusher;
    }

    void flushNow() {
        flushPending = false;
        channel.flush();
    }

    /** §10: a {@code force_sync} for each subscribed topic in {@code missed}; on this connection's loop. */
    @Override
    public void forceSync(Set<String> missed) {
        if (closing || !channel.isActive()) {
            return;
        }
        for (String topic : topics) {
            if (missed.contains(topic)) {
                ByteBuf frame = forceSyncFrame(topic);
                if (frame != null) {
                    send(frame);
                }
            }
        }
    }

    // --- SlowConsumer (§8.3) ---

    @Override
    public ByteBuf forceSyncFrame(String topic) {
        Topic t = Topic.parse(topic);
        return t == null ? null : dialect.forceSync(t, channel.alloc());
    }

    @Override
    public void closeSlowConsumer(boolean now) {
        close(Disconnect.SLOW_CONSUMER);
        if (now) {
            channel.close();
        }
    }
}
