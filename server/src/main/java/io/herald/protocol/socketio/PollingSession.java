package io.herald.protocol.socketio;

import io.herald.auth.Principal;
import io.herald.hub.Subscriber;
import io.herald.hub.Topic;
import io.herald.protocol.BackPressureHandler;
import io.herald.protocol.Connection;
import io.herald.protocol.ConnectionCore;
import io.herald.protocol.Disconnect;
import io.herald.protocol.Endpoint;
import io.herald.protocol.Session;
import io.herald.protocol.TextFrames;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * An Engine.IO v4 session on HTTP long-polling (§7): packets wait in a queue until the client's next
 * {@code GET}, which is held open until there is something to send; the client's packets come by {@code POST}.
 * It subscribes in the hub like a connection (its own {@link Subscriber}, on the loop where the handshake
 * arrived), with the same §8.3 bound: past {@code HERALD_SEND_BUFFER} waiting events it drops, queues
 * {@code 42["force_sync"]} and ends once that was polled. Confined to its loop; requests from other channels
 * hop onto it. When the client upgrades to WebSocket, {@link #handOver} gives its state and undelivered packets
 * to the new connection.
 */
final class PollingSession implements Session, Subscriber, SioPeer {
    private final SocketIoDialect dialect;
    private final ConnectionCore core;
    private final PollingTransport transport;
    private final EventExecutor loop;
    final SocketIoDialect.Session session;
    private final Set<String> topics = new HashSet<>(4);
    /** Packets not yet polled: String control packets and {@link Connection.Held} event frames, in order. */
    private final ArrayDeque<Object> queue = new ArrayDeque<>();
    /** Characters of control packets in {@link #queue} (§8.3 bound). */
    private int controlBytes;
    /** Volatile: a request for this session on another loop compares its credentials with it (§7). */
    private volatile Principal principal;
    private long deadlineMillis = Long.MAX_VALUE;
    private long lastReadNanos = System.nanoTime();
    private boolean registered;
    private List<Runnable> onClosed;
    private Reply pendingGet;
    private boolean closing;
    private boolean slow;
    /** Ending once the queue is polled. */
    private Disconnect closeAfterFlush;
    /** After the upgrade: the WebSocket connection that took over, for publications still on their way. */
    private Connection handedTo;
    private boolean noopScheduled;
    /** A WebSocket probe succeeded: polls are answered at once (a noop when idle) so the client can upgrade. */
    volatile boolean upgrading;
    private ScheduledFuture<?> timer;

    /** @param sidPrefix names this instance in the sid, so any instance can route a request for it (§7 relay) */
    PollingSession(SocketIoDialect dialect, ConnectionCore core, PollingTransport transport, EventExecutor loop,
                   Principal upgradePrincipal, long upgradeDeadlineMillis, String sidPrefix) {
        this.dialect = dialect;
        this.core = core;
        this.transport = transport;
        this.loop = loop;
        this.session = new SocketIoDialect.Session(sidPrefix);
        this.principal = upgradePrincipal;
        this.deadlineMillis = upgradeDeadlineMillis;
        schedulePing();
        core.stats().connectionOpened(Endpoint.SOCKETIO, principal == null ? null : principal.subject());
        core.connections().add(this); // §7: held to §8 like any connection (idle, expiry, drain, §10)
        registered = true;
    }

    /** Leaves the registry and gives back the session's place under the connection cap (the caller admitted it). */
    private void unregister() {
        if (!registered) {
            return;
        }
        registered = false;
        core.connections().remove(this);
        core.connections().release();
        core.stats().connectionClosed(Endpoint.SOCKETIO, principal == null ? null : principal.subject());
        if (onClosed != null) {
            onClosed.forEach(Runnable::run);
            onClosed = null;
        }
    }

    @Override
    public void whenClosed(Runnable r) {
        if (!registered) {
            r.run();
        } else {
            (onClosed == null ? onClosed = new ArrayList<>(1) : onClosed).add(r);
        }
    }

    /** The queue's control packets and event payloads, until the next poll takes them. */
    @Override
    public long outboundBytes() {
        long n = controlBytes;
        for (Object o : queue) {
            if (o instanceof Connection.Held h) {
                n += h.frame().readableBytes();
            }
        }
        return n;
    }

    @Override
    public long lastReadNanos() {
        return lastReadNanos;
    }

    /** The registry's sweep: Socket.IO's connect timeout (§7); the heartbeat has exact timers of its own. */
    @Override
    public void tick(long nowNanos) {
        dialect.overdue(this, nowNanos);
    }

    // --- heartbeat: exact timers, since a polling session has no socket for the sweep to watch ---

    /** Engine.IO v4: a ping pingInterval after the open or the last pong; the session ends pingTimeout later without one. */
    private void schedulePing() {
        long interval = dialect.settings().pingInterval().toNanos();
        pingDeadlineNanos = System.nanoTime() + interval + dialect.settings().pingTimeout().toNanos();
        timer = loop.schedule(this::ping, interval, TimeUnit.NANOSECONDS);
    }

    /** When the session is over unless a pong came: the ping's due time plus pingTimeout, however late timers run. */
    private long pingDeadlineNanos;

    /** True (and the session closed) when the ping went unanswered past its deadline, checked by every request. */
    private boolean pingTimedOut() {
        if (session.pingSentNanos != 0 && System.nanoTime() - pingDeadlineNanos >= 0) {
            close(Disconnect.PING_TIMEOUT);
            return true;
        }
        return false;
    }

    private void ping() {
        if (closing) {
            return;
        }
        long now = System.nanoTime();
        if (dialect.overdue(this, now)) {
            return;
        }
        session.pingSentNanos = now;
        send("2");
        timer = loop.schedule(() -> {
            if (session.pingSentNanos != 0) {
                close(Disconnect.PING_TIMEOUT);
            }
        }, Math.max(0, pingDeadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    /** The client's pong. */
    void pong() {
        session.pingSentNanos = 0;
        if (timer != null) {
            timer.cancel(false);
        }
        schedulePing();
    }

    // --- HTTP ---

    /** A GET: answered now when something waits, else held until something does. Two at once end the session. */
    void poll(Reply ctx) {
        lastReadNanos = System.nanoTime();
        if (!closing && pingTimedOut()) {
            ctx.error(EngineIo.UNKNOWN_SID);
            return;
        }
        if (closing) {
            transport.forgetClosed(session.sid); // this was the poll on its way; the next request gets 400
            ctx.okAndClose("6");
            return;
        }
        if (pendingGet != null) {
            Reply other = pendingGet;
            pendingGet = null;
            other.okAndClose("1");
            ctx.error(EngineIo.BAD_REQUEST);
            close(Disconnect.PROTOCOL_ERROR); // "overlap from client", as the reference says
            return;
        }
        pendingGet = ctx;
        ctx.onAbandoned(() -> loop.execute(() -> {
            if (pendingGet == ctx) {
                pendingGet = null;
            }
        }));
        flush();
    }

    /**
     * A POST's packets, in order; answered {@code ok}, or 400 (and the session ends) when one is malformed. The
     * body is checked whole first, then each packet handled as it is cut out: a body of many small packets
     * never becomes a list of them (§8.3).
     */
    void post(Reply ctx, String body) {
        lastReadNanos = System.nanoTime();
        if (closing || closeAfterFlush != null || pingTimedOut()) {
            ctx.error(EngineIo.UNKNOWN_SID); // an ending session takes no more packets
            return;
        }
        for (int start = 0; start <= body.length(); ) {
            int end = packetEnd(body, start);
            if (end == start || "0123456b".indexOf(body.charAt(start)) < 0) {
                ctx.error(EngineIo.BAD_REQUEST);
                close(Disconnect.PROTOCOL_ERROR);
                return;
            }
            start = end + 1;
        }
        ctx.ok("ok");
        for (int start = 0; start <= body.length() && !closing && closeAfterFlush == null; ) {
            int end = packetEnd(body, start);
            dialect.handle(this, body.substring(start, end), false);
            start = end + 1;
        }
    }

    private static int packetEnd(String body, int start) {
        int end = body.indexOf(EngineIo.SEPARATOR, start);
        return end < 0 ? body.length() : end;
    }

    private void flush() {
        if (pendingGet == null) {
            return;
        }
        if (queue.isEmpty()) {
            if (upgrading && !noopScheduled) {
                // A poll during the upgrade ends with a noop, a moment later: if the client's 5 arrives on the
                // WebSocket meanwhile (it may overtake this request on another connection), it gets 400 instead.
                noopScheduled = true;
                loop.schedule(() -> {
                    noopScheduled = false;
                    if (pendingGet != null && queue.isEmpty()) {
                        Reply ctx = pendingGet;
                        pendingGet = null;
                        ctx.ok("6");
                    }
                }, 15, TimeUnit.MILLISECONDS);
            }
            return;
        }
        StringBuilder out = new StringBuilder();
        Object item;
        while ((item = queue.poll()) != null) {
            if (out.length() > 0) {
                out.append(EngineIo.SEPARATOR);
            }
            if (item instanceof Connection.Held h) {
                TextFrames.appendPayload(h.frame(), out);
                h.frame().release();
            } else {
                out.append((String) item);
            }
        }
        controlBytes = 0;
        Reply ctx = pendingGet;
        pendingGet = null;
        ctx.ok(out.toString());
        if (slow) {
            close(Disconnect.SLOW_CONSUMER);
        } else if (closeAfterFlush != null) {
            close(closeAfterFlush);
        }
    }

    /**
     * Where the answer to one polling request goes: the request's own channel, or (Redis relay, §7 without sticky
     * sessions) another instance that forwarded it.
     */
    interface Reply {
        void ok(String body);

        /** 200 and the connection closes (a final answer such as a noop or close packet). */
        void okAndClose(String body);

        /** The reference's 400 with an Engine.IO error code; the connection closes. */
        void error(int engineIoCode);

        /** Runs {@code r} if the request goes away unanswered (its connection closed). */
        void onAbandoned(Runnable r);
    }

    /**
     * A request answered on its own channel; {@code corsOrigin}, when not null, is the browser origin §8.5 allowed,
     * named in the answer's CORS headers (§7).
     */
    static Reply local(ChannelHandlerContext ctx, boolean keepAlive, String corsOrigin) {
        return new Reply() {
            private ChannelFutureListener abandoned;

            @Override
            public void ok(String body) {
                answered();
                respond(ctx, keepAlive, body, corsOrigin);
            }

            @Override
            public void okAndClose(String body) {
                answered();
                respond(ctx, false, body, corsOrigin);
            }

            @Override
            public void error(int code) {
                answered();
                ctx.writeAndFlush(EngineIo.cors(EngineIo.error(ctx.alloc(), code), corsOrigin))
                        .addListener(ChannelFutureListener.CLOSE);
            }

            @Override
            public void onAbandoned(Runnable r) {
                abandoned = f -> r.run();
                ctx.channel().closeFuture().addListener(abandoned);
            }

            /** A kept-alive connection carries many polls: each one's close listener goes once it is answered. */
            private void answered() {
                if (abandoned != null) {
                    ctx.channel().closeFuture().removeListener(abandoned);
                    abandoned = null;
                }
            }
        };
    }

    static void respond(ChannelHandlerContext ctx, boolean keepAlive, String body, String corsOrigin) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                ByteBufUtil.writeUtf8(ctx.alloc(), body));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=UTF-8")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, r.content().readableBytes());
        EngineIo.cors(r, corsOrigin);
        HttpUtil.setKeepAlive(r, keepAlive);
        var f = ctx.writeAndFlush(r);
        if (!keepAlive) {
            f.addListener(ChannelFutureListener.CLOSE);
        }
    }

    // --- Subscriber ---

    @Override
    public EventExecutor eventLoop() {
        return loop;
    }

    @Override
    public int rendererSlot() {
        return Endpoint.SOCKETIO.ordinal();
    }

    @Override
    public Set<String> topics() {
        return topics;
    }

    @Override
    public boolean deliver(String topic, ByteBuf frame) {
        if (handedTo != null) {
            // A publication that chose its loops before the WebSocket joined the topic: it goes on to it (§7 upgrade).
            Connection c = handedTo;
            c.execute(() -> c.deliver(topic, frame));
            return true;
        }
        if (closing || slow || closeAfterFlush != null || queue.size() >= core.policy().sendBuffer()) {
            frame.release();
            core.stats().countDropped(1);
            if (!closing && !slow) {
                slow = true; // §8.3: tell the client once, then end the session when that was polled
                queue.add("42[\"force_sync\"]");
                core.stats().countSlowConsumerClose();
                flush();
            }
            return false;
        }
        queue.add(new Connection.Held(topic, frame));
        flush();
        return true;
    }

    // --- SioPeer ---

    @Override
    public SocketIoDialect.Session session() {
        return session;
    }

    @Override
    public Principal principal() {
        return principal;
    }

    @Override
    public void authenticate(Principal p, long deadlineMillis) {
        if (principal == null) {
            core.stats().userJoined(p.subject());
        }
        principal = p;
        this.deadlineMillis = deadlineMillis;
    }

    @Override
    public long deadlineMillis() {
        return deadlineMillis;
    }

    /**
     * Queues a control packet (a pong, a CONNECT answer, an echo). §8.3's bound covers these too: past
     * {@code HERALD_SEND_BUFFER} packets waiting, or {@link BackPressureHandler#REPLY_BYTES} of control packets
     * (the larger of that and maxPayload, so one legitimate answer always fits), the client is not reading: the
     * session ends as a slow consumer instead of growing.
     */
    @Override
    public void send(String packet) {
        if (closing || closeAfterFlush != null) {
            return;
        }
        if (queue.size() >= core.policy().sendBuffer() || controlBytes + packet.length() > maxControlBytes()) {
            // Ends without growing: what is queued (events included, so none is lost silently, §10) still goes
            // out with the next poll, if one comes in time; this packet and later ones are not queued.
            core.stats().countSlowConsumerClose();
            close(Disconnect.SLOW_CONSUMER);
            return;
        }
        controlBytes += packet.length();
        queue.add(packet);
        flush();
    }

    private int maxControlBytes() {
        return Math.max(BackPressureHandler.REPLY_BYTES, dialect.settings().maxPayload());
    }

    @Override
    public void close(Disconnect why) {
        if (closing) {
            return;
        }
        if (why == Disconnect.NORMAL && pendingGet == null) {
            transport.closedByClient(session.sid); // a poll may be on its way: see PollingTransport
        }
        if ((why == Disconnect.UNAUTHORIZED || why == Disconnect.SLOW_CONSUMER) && !queue.isEmpty()
                && pendingGet == null && closeAfterFlush == null) {
            // the last word (44 unauthorized, force_sync) still goes out with the next poll, if one comes in time
            closeAfterFlush = why;
            if (timer != null) {
                timer.cancel(false);
            }
            timer = loop.schedule(() -> {
                closeAfterFlush = null;
                releaseQueue(); // never polled
                close(why);
            }, dialect.settings().pingInterval().plus(dialect.settings().pingTimeout()).toMillis(), TimeUnit.MILLISECONDS);
            return;
        }
        closing = true;
        if (timer != null) {
            timer.cancel(false);
        }
        transport.remove(session.sid, this);
        core.hub().unsubscribeAll(this);
        releaseQueue();
        if (pendingGet != null) {
            Reply ctx = pendingGet;
            pendingGet = null;
            ctx.okAndClose("6"); // a noop ends the waiting poll; the next request learns the session is gone
        }
        unregister();
    }

    private void releaseQueue() {
        for (Object o : queue) {
            if (o instanceof Connection.Held h) {
                h.frame().release();
            }
        }
        queue.clear();
        controlBytes = 0;
    }

    @Override
    public boolean isClosing() {
        return closing;
    }

    @Override
    public CompletionStage<Void> subscribe(Topic topic) {
        return core.hub().subscribeOrUndo(this, topic.name());
    }

    @Override
    public void unsubscribeAll() {
        core.hub().unsubscribeAll(this);
    }

    @Override
    public void execute(Runnable task) {
        if (loop.inEventLoop()) {
            task.run();
        } else {
            loop.execute(task);
        }
    }

    /** §10 after a broker outage: {@code 42["force_sync"]} once if any of its topics may have missed events. */
    @Override
    public void forceSync(Set<String> missed) {
        if (closing) {
            return;
        }
        for (String t : topics) {
            if (missed.contains(t)) {
                send("42[\"force_sync\"]");
                return;
            }
        }
    }

    // --- upgrade to WebSocket (§7) ---

    /** The client probed a WebSocket: polls end with a noop from now on. */
    void probed() {
        upgrading = true;
        flush();
    }

    /** What the WebSocket connection takes over: who, which topics and namespaces. */
    record State(Principal principal, long deadlineMillis, List<String> topics, Set<String> namespaces) {
    }

    /** Null when the session ended meanwhile: then there is nothing to take over. */
    State state() {
        return closing ? null : new State(principal, deadlineMillis, List.copyOf(topics), Set.copyOf(session.namespaces));
    }

    /**
     * Ends this session for the upgrade: leaves the hub, answers a waiting poll with a noop, and returns the
     * packets nobody polled yet (control packets as Strings, events as held frames), in order. Pings are dropped:
     * the WebSocket heartbeat starts afresh.
     */
    List<Object> handOver(Connection to) {
        if (closing) {
            return null; // it ended meanwhile (ping timeout, client close): the WebSocket must not go on without it
        }
        handedTo = to;
        closing = true;
        if (timer != null) {
            timer.cancel(false);
        }
        transport.remove(session.sid, this);
        core.hub().unsubscribeAll(this);
        List<Object> left = new ArrayList<>(queue.size());
        for (Object o : queue) {
            if (!"2".equals(o) && !"6".equals(o)) { // pings and noops belong to the polling transport
                left.add(o);
            }
        }
        queue.clear();
        controlBytes = 0;
        if (pendingGet != null) {
            Reply ctx = pendingGet;
            pendingGet = null;
            ctx.error(EngineIo.UNKNOWN_SID);
        }
        unregister();
        return left;
    }
}
