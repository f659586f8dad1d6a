package io.herald.protocol;

import io.herald.auth.Authentication;
import io.herald.auth.Credentials;
import io.herald.auth.Principal;
import io.herald.hub.Envelope;
import io.herald.hub.Subscriber;
import io.herald.hub.Topic;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.concurrent.EventExecutor;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * One client session, whatever {@link Transport} carries it (§7: "a session is a connection"): a WebSocket, or an
 * Engine.IO long-polling session that may later switch to a WebSocket. It owns everything §8 is about, once for
 * every transport and dialect: the principal and its expiry deadline, the topics and the hub {@link Subscriber},
 * the command rate limiter, the outbound bound and slow-consumer policy ({@link OutboundBound}), and membership in
 * the per-loop registry ({@link Connections}: idle sweep, expiry, cap, drain, broker-outage {@code force_sync}).
 * Its {@link Dialect} only translates: client messages into commands here, publications into frames.
 *
 * <p>Confined to its event loop ({@link #eventLoop()}): every method must be called there.
 *
 * @param <S> the dialect's own per-connection state (see {@link Dialect#newState()})
 */
public final class Connection<S> implements Subscriber, OutboundBound.SlowConsumer, Transport.Owner {
    /** The topic a greeting is rendered as: a session's, which every dialect frames without naming it (§12). */
    static final Topic GREETING = Topic.session("greeting");

    private final Dialect<S> dialect;
    private final S state;
    private final String pathParameter;
    private final ConnectionCore core;
    private final EventExecutor loop;
    private final OutboundBound bound;
    private final CommandRateLimiter rateLimiter;
    private final Set<String> topics = new TopicSet();
    private Transport transport;
    private Principal principal;
    private long deadlineMillis;
    private long lastReadNanos;
    private FlushBatcher flusher;
    private boolean flushPending;
    private boolean closing;
    private boolean opened;
    private boolean ended;
    private boolean admitted;
    private List<Runnable> onEnded;
    /** §12: the auth proxy's events for this connection alone, until {@link #greet()} sends them; null when none. */
    private List<Authentication.Greeting> greeting;
    /** §12: what Socket.IO's CONNECT asks the auth proxy about (the upgrade's headers); null when not needed. */
    private Credentials credentials;
    /** §12: topics the control API added beyond the token ({@link #widen}); null while none. */
    private Set<Topic> widened;
    /** Epoch millis of {@link #open()}, for the control API's listing (§12). */
    private long openedAtMillis;
    /** §11: seams between replays and live delivery ({@link Seams}); null while none. */
    private Seams seams;

    /**
     * @param principal      null for a connection that is only being refused, or one that authenticates in band (§7)
     * @param deadlineMillis §8.2: epoch millis after which the connection closes 4401
     */
    public Connection(Transport transport, Dialect<S> dialect, Principal principal, long deadlineMillis,
                      String pathParameter, ConnectionCore core) {
        this.transport = transport;
        this.dialect = dialect;
        this.principal = principal;
        this.deadlineMillis = deadlineMillis;
        this.pathParameter = pathParameter;
        this.core = core;
        this.loop = transport.eventLoop();
        this.bound = new OutboundBound(core.policy(), core.stats(), this, loop);
        this.lastReadNanos = System.nanoTime();
        this.rateLimiter = new CommandRateLimiter(core.policy(), lastReadNanos);
        this.state = dialect.newState();
        transport.bind(this);
    }

    /** Null only on a dialect that authenticates in band (§7) until it has. */
    public Principal principal() {
        return principal;
    }

    /** The user id, or null before in-band authentication. */
    public String subject() {
        return principal == null ? null : principal.subject();
    }

    /** The dialect's own state of this connection (Socket.IO's Engine.IO session), or null for a dialect with none. */
    public S state() {
        return state;
    }

    /** The id in the upgrade path, such as the sync endpoint's {@code device_id}; may be null. */
    public String pathParameter() {
        return pathParameter;
    }

    public Dialect<S> dialect() {
        return dialect;
    }

    public Transport transport() {
        return transport;
    }

    public ByteBufAllocator alloc() {
        return transport.alloc();
    }

    /** This connection's §8.3 bound. */
    public OutboundBound bound() {
        return bound;
    }

    /** The connection holds a place under {@code HERALD_MAX_CONNECTIONS}, given back when it ends. */
    public void admitted() {
        this.admitted = true;
    }

    /** Counts and registers the connection (it is open and authenticated, or authenticating in band) and greets it. */
    public void open() {
        if (opened || ended) {
            return;
        }
        opened = true;
        openedAtMillis = System.currentTimeMillis();
        core.stats().connectionOpened(dialect.endpoint(), subject());
        countPolling(transport, 1);
        core.connections().add(this);
        dialect.onOpen(this);
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
     * shares, Socket.IO's rooms): when the broker cannot confirm it, the connection closes 1013 so the client
     * reconnects, instead of staying open without what it was promised. The stage still fails, for the caller to
     * stop there.
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
        if (seams != null) {
            seams.clearAll();
        }
        core.hub().unsubscribeAll(this);
    }

    public boolean unsubscribe(Topic topic) {
        if (seams != null) {
            seams.clear(topic.name());
        }
        return core.hub().unsubscribe(this, topic.name());
    }

    /**
     * §11: holds the live events of {@code topic} while a resume reads its history, until {@link #releaseAt}.
     */
    public void holdLive(Topic topic) {
        (seams == null ? seams = new Seams() : seams).hold(topic.name());
    }

    /**
     * §11: the client has (or was given) every event of {@code topic} up to {@code offset}: held events past it go
     * out now, in order, and live events at or below it that are still on their way here are dropped, so none is
     * delivered twice across a replay's seam. Returns -1, or when holding overflowed the last offset let go
     * undelivered, for the caller to answer {@code force_sync}.
     */
    public long releaseAt(Topic topic, String epoch, long offset) {
        return (seams == null ? seams = new Seams() : seams).release(topic.name(), epoch, offset,
                (at, atEpoch, frame) -> deliverAt(topic.name(), at, atEpoch, frame));
    }

    /** §11: stops holding {@code topic} without delivering what was held (its resume failed). */
    public void dropHeld(Topic topic) {
        if (seams != null) {
            seams.clear(topic.name());
        }
    }

    /**
     * Writes one replayed event frame at {@code offset} (§11) as events are written: counted by the bound, flushed
     * with the turn.
     */
    public boolean replay(Topic topic, long offset, String epoch, ByteBuf frame) {
        return deliverAt(topic.name(), offset, epoch, frame);
    }

    public boolean isSubscribed(Topic topic) {
        return topics.contains(topic.name());
    }

    /**
     * Sends a reply frame made by {@link TextFrames}; takes ownership. Replies are not events (never dropped as
     * a slow consumer's are) but count against the connection's outbound bound (§8.3).
     */
    public void send(ByteBuf frame) {
        if (closing || !transport.isOpen()) {
            frame.release();
            return;
        }
        bound.reply(transport, new Outbound.Reply(frame));
    }

    /** Sends a text reply (an Engine.IO packet); counted like {@link #send(ByteBuf)}. */
    public void sendText(String text) {
        if (closing || !transport.isOpen()) {
            return;
        }
        send(TextFrames.text(transport.alloc(), text.getBytes(StandardCharsets.UTF_8)));
    }

    /** Sends a WebSocket control or binary frame (a pong, an attachment), counted like {@link #send(ByteBuf)}. */
    public void send(WebSocketFrame frame) {
        if (closing || !transport.isOpen()) {
            frame.release();
            return;
        }
        bound.reply(transport, new Outbound.Control(frame));
    }

    /** Runs {@code task} on this connection's loop (for completions that arrive on other threads). */
    public void execute(Runnable task) {
        if (loop.inEventLoop()) {
            task.run();
        } else {
            loop.execute(task);
        }
    }

    public boolean isClosing() {
        return closing;
    }

    /** {@link System#nanoTime()} of the client's last sign of life (§8.1). */
    public long lastReadNanos() {
        return lastReadNanos;
    }

    /** §8.2: epoch millis after which the connection closes 4401. */
    public long deadlineMillis() {
        return deadlineMillis;
    }

    /** The registry's periodic sweep, for the dialect's own timers (Engine.IO heartbeat, connect timeout). */
    public void tick(long nowNanos) {
        dialect.tick(this, nowNanos);
    }

    /** Bytes written or queued for the client and not yet taken by it: what §8.3's bound keeps small. */
    public long outboundBytes() {
        return transport.pendingBytes();
    }

    /** Runs {@code r} once the connection is over (its transport gone), at once if it is. */
    public void whenClosed(Runnable r) {
        if (ended) {
            r.run();
        } else {
            (onEnded == null ? onEnded = new ArrayList<>(1) : onEnded).add(r);
        }
    }

    /**
     * §6 refresh, or in-band authentication (§7): a newer token of the same user replaces the permissions and
     * moves the §8.2 deadline. The caller checked that {@code next} names the same {@code sub}.
     */
    public void refresh(Principal next, long deadlineMillis) {
        if (principal == null && opened) {
            core.stats().userJoined(next.subject()); // in-band authentication (§7): counted from now
        }
        this.principal = next;
        this.deadlineMillis = deadlineMillis;
    }

    /** §12: the events the auth proxy gave for this connection, sent by {@link #greet()}. */
    public void greetWith(List<Authentication.Greeting> events) {
        this.greeting = events == null || events.isEmpty() ? null : events;
    }

    /**
     * §12: sends the auth proxy's {@code events} to this connection alone, once, framed by the dialect
     * ({@link Dialect#greeting}); a dialect calls it right after its {@code connected} (Socket.IO: CONNECT's answer).
     */
    public void greet() {
        List<Authentication.Greeting> events = greeting;
        greeting = null;
        if (events == null) {
            return;
        }
        for (Authentication.Greeting g : events) {
            ByteBuf frame = dialect.greeting(new Envelope(GREETING, g.eventType(), g.data(), null, null),
                    alloc());
            if (frame != null) {
                send(frame);
            }
        }
    }

    /**
     * §12 control API: grants {@code topic} to this connection beyond its token (not to the token) and subscribes it
     * through the dialect, as if the client had asked; false, doing nothing, when this endpoint does not deliver that
     * kind of topic ({@link Dialect#grantable}).
     */
    public boolean grant(Topic topic) {
        if (!dialect.grantable().contains(topic.kind())) {
            return false;
        }
        (widened == null ? widened = new java.util.HashSet<>(2) : widened).add(topic);
        dialect.subscribeGranted(this, topic);
        return true;
    }

    /** §12 control API: the reverse of {@link #grant}; false when this endpoint does not deliver that kind of topic. */
    public boolean takeBack(Topic topic) {
        if (!dialect.grantable().contains(topic.kind())) {
            return false;
        }
        if (widened != null) {
            widened.remove(topic);
        }
        dialect.unsubscribeGranted(this, topic);
        return true;
    }

    /** §12: true when the control API granted {@code topic} to this connection ({@link #grant}). */
    public boolean widens(Topic topic) {
        return widened != null && widened.contains(topic);
    }

    /** §12: what the control API granted, in no order; empty when nothing. */
    public Set<Topic> widened() {
        return widened == null ? Set.of() : Set.copyOf(widened);
    }

    /** Epoch millis at which the connection opened, 0 before. */
    public long openedAtMillis() {
        return openedAtMillis;
    }

    /** §12: keeps the upgrade's credentials for a dialect that authenticates in band (Socket.IO's CONNECT). */
    public void keepCredentials(Credentials c) {
        this.credentials = c;
    }

    /** The credentials {@link #keepCredentials} kept, handed out once; null when none. */
    public Credentials takeCredentials() {
        Credentials c = credentials;
        credentials = null;
        return c;
    }

    /** Records inbound traffic (§8.1) and asks the command limiter about it (§8.4). */
    public CommandRateLimiter.Verdict received(boolean command) {
        long now = System.nanoTime();
        lastReadNanos = now;
        return command ? rateLimiter.acquire(now) : CommandRateLimiter.Verdict.ALLOW;
    }

    /**
     * Ends the connection with {@code why}: over WebSocket the closing handshake (our close frame, then TCP close),
     * over long-polling the last packets and a final answer. Idempotent.
     */
    public void close(Disconnect why) {
        if (closing) {
            if (!ended) {
                transport.close(why); // a second word (the drain's) ends what still lingers; a WebSocket ignores it
            }
            return;
        }
        closing = true;
        core.hub().unsubscribeAll(this);
        transport.close(why);
    }

    /**
     * Fails the connection (RFC 6455 §7.1.7): the stream can no longer be trusted, so our close frame is the last
     * thing written and TCP closes once it is out, without waiting for the client's answer.
     */
    public void fail(Disconnect why) {
        closing = true;
        core.hub().unsubscribeAll(this);
        transport.fail(why);
    }

    /** Marks the connection closing without a frame of ours (the client started the close, or TCP is gone). */
    public void closingByPeer() {
        closing = true;
        core.hub().unsubscribeAll(this);
    }

    /**
     * §7 Engine.IO upgrade: the session goes on over {@code next}, on this loop. What the old transport had not given
     * the client yet goes out first, in order, still counted by the bound; nothing is lost, repeated or reordered,
     * since the hub keeps delivering here throughout.
     */
    public void switchTransport(Transport next) {
        Transport old = transport;
        if (old == next) {
            return;
        }
        transport = next;
        if (opened && !ended) {
            countPolling(old, -1);
            countPolling(next, 1);
        }
        next.bind(this);
        List<Outbound> left = old.handOver();
        for (Outbound o : left) {
            if (o instanceof Outbound.Event e) {
                next.writeEvent(e.topic(), e.frame());
            } else {
                next.write(o);
            }
        }
        next.flush();
        if (!next.isOpen()) {
            transportClosed(next); // it went while the switch was on its way
        }
    }

    /** The admin page's connections by transport (§9 stats): a long-polling session counts there until it upgrades. */
    private void countPolling(Transport t, int delta) {
        if ("polling".equals(t.name())) {
            core.stats().pollingChanged(delta);
        }
    }

    // --- Transport.Owner ---

    @Override
    public void taken(Outbound.Kind kind, int bytes) {
        bound.taken(transport, kind, bytes);
    }

    @Override
    public void overrun() {
        bound.overrun();
    }

    @Override
    public void transportClosed(Transport t) {
        if (t != transport || ended) {
            return; // a transport this connection has left
        }
        ended = true;
        closing = true;
        core.hub().unsubscribeAll(this);
        if (seams != null) {
            seams.clearAll(); // held frames are ours to release
            seams = null;
        }
        bound.cancel();
        if (opened) {
            core.connections().remove(this);
            core.stats().connectionClosed(dialect.endpoint(), subject());
            countPolling(transport, -1);
        }
        if (admitted) {
            core.connections().release();
        }
        dialect.onClosed(this);
        if (onEnded != null) {
            List<Runnable> rs = onEnded;
            onEnded = null;
            rs.forEach(Runnable::run);
        }
    }

    // --- Subscriber ---

    @Override
    public EventExecutor eventLoop() {
        return loop;
    }

    @Override
    public int rendererSlot() {
        return dialect.endpoint().ordinal();
    }

    @Override
    public Set<String> topics() {
        return topics;
    }

    /** RFC 7692: the hub's one compressed copy of each event, unless the dialect makes this connection its own frames. */
    @Override
    public boolean deflates() {
        return transport.deflates() && !dialect.rendersOwnFrames(this);
    }

    @Override
    public boolean deliver(String topic, long offset, String epoch, ByteBuf frame) {
        if (seams != null && offset > 0) {
            boolean taken = seams.intercept(topic, offset, epoch, frame);
            if (seams.isEmpty()) {
                seams = null;
            }
            if (taken) {
                return false;
            }
        }
        return deliverAt(topic, offset, epoch, frame);
    }

    /** An event past any seam: the dialect may make it this connection's own (§11 Socket.IO offsets). */
    private boolean deliverAt(String topic, long offset, String epoch, ByteBuf frame) {
        // a compressed frame is passed on as it is: it was handed over only because the dialect makes none of its own
        ByteBuf own = offset > 0 && !DeflatedFrames.isDeflated(frame) ? dialect.ownFrame(this, topic, offset, epoch, frame)
                : frame;
        return own != null && deliver(topic, own);
    }

    @Override
    public boolean deliver(String topic, ByteBuf frame) {
        if (closing || !transport.isOpen()) {
            frame.release();
            return false;
        }
        if (!bound.event(transport, topic, frame)) {
            return false;
        }
        if (flusher == null) {
            transport.flush();
        } else if (!flushPending) {
            flushPending = true;
            flusher.add(this);
        }
        return true;
    }

    /** Set when the connection is registered on its loop: event flushes then wait for the end of the turn. */
    void useFlusher(FlushBatcher flusher) {
        this.flusher = flusher;
    }

    void flushNow() {
        flushPending = false;
        transport.flush();
    }

    /** §10: a {@code force_sync} for each subscribed topic in {@code missed}; on this connection's loop. */
    public void forceSync(Set<String> missed) {
        if (closing || !transport.isOpen()) {
            return;
        }
        for (String topic : topics) {
            if (missed.contains(topic)) {
                if (seams != null) {
                    if (seams.resyncWhileHolding(topic)) {
                        continue; // §11: a resume is reading: its answer ends in this force_sync, after subscribed
                    }
                    seams.clear(topic); // §11: offsets go on from the force_sync's position, maybe of a new epoch
                }
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
        return t == null ? null : dialect.forceSync(t, transport.alloc());
    }

    @Override
    public void closeSlowConsumer(boolean now) {
        close(Disconnect.SLOW_CONSUMER);
        if (now) {
            transport.fail(Disconnect.SLOW_CONSUMER);
        }
    }
}
