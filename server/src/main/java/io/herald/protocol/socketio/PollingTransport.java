package io.herald.protocol.socketio;

import io.herald.protocol.Disconnect;
import io.herald.protocol.Outbound;
import io.herald.protocol.Transport;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Engine.IO v4 HTTP long-polling as a {@link Transport} (§7): frames the connection writes wait in a typed queue
 * until the client's next {@code GET}, which is held open until there is something to send; the client's packets
 * come by {@code POST}. It only moves bytes: the connection it carries applies §8 (the outbound bound counts this
 * queue, and a client that keeps posting while not polling ends as a slow consumer, since there is no stream to stop
 * reading). Confined to the connection's loop; requests from other channels hop onto it ({@link PollingEndpoint}).
 */
final class PollingTransport implements Transport {
    /**
     * Where the answer to one polling request goes: the request's own channel, or (Redis relay, §7 without sticky
     * sessions) another instance that forwarded it.
     */
    interface Reply {
        /** 200 with {@code body}; false when the request is gone (its client left), so nothing was delivered. */
        boolean ok(String body);

        /** 200 and the connection closes (a final answer such as a noop or close packet). */
        void okAndClose(String body);

        /** The reference's 400 with an Engine.IO error code; the connection closes. */
        void error(int engineIoCode);

        /** Runs {@code r} if the request goes away unanswered (its connection closed). */
        void onAbandoned(Runnable r);
    }

    /** What the transport needs of the endpoint that made it and of the Socket.IO logic above it. */
    interface Host {
        /** The session's sid is no longer served: requests for it get 400 from now on. */
        void forget(String sid, PollingTransport t);

        /** The client closed (packet {@code 1}) with no poll waiting: a poll on its way gets a noop, not a 400. */
        void closedByClient(String sid);

        /** The poll that was on its way when the client closed has come: the next request for {@code sid} gets 400. */
        void pollArrived(String sid);

        /** How long an ending session's last packets wait for a poll: pingInterval + pingTimeout. */
        Duration linger();
    }

    private final EventExecutor loop;
    private final ByteBufAllocator alloc;
    private final Host host;
    /** The session id, once the endpoint serves it; then every POST's packets go to {@link #packets}. */
    String sid;
    private java.util.function.Consumer<String> packets;
    /** Frames not yet polled, in order; WebSocket control frames never get here (see {@link #write}). */
    private final ArrayDeque<Outbound.Text> queue = new ArrayDeque<>();
    private Owner owner;
    private Reply pendingGet;
    /** Over: no more requests, nothing queued. */
    private boolean ended;
    /** Ending once the queue is polled (the last word, such as {@code 44} or {@code force_sync}, still goes out). */
    private boolean lingering;
    /** The connection's bound stopped reading: a POST now ends the session as a slow consumer (§8.3). */
    private boolean paused;
    private boolean noopScheduled;
    /** A WebSocket probe succeeded: polls are answered at once (a noop when idle) so the client can upgrade. */
    private boolean upgrading;
    private ScheduledFuture<?> lingerTimer;

    PollingTransport(EventExecutor loop, ByteBufAllocator alloc, Host host) {
        this.loop = loop;
        this.alloc = alloc;
        this.host = host;
    }

    /** Serves requests for {@code sid}; each packet the client posts goes to {@code packets}, in order. */
    void serve(String sid, java.util.function.Consumer<String> packets) {
        this.sid = sid;
        this.packets = packets;
    }

    @Override
    public String name() {
        return "polling";
    }

    @Override
    public EventExecutor eventLoop() {
        return loop;
    }

    @Override
    public ByteBufAllocator alloc() {
        return alloc;
    }

    @Override
    public void bind(Owner owner) {
        this.owner = owner;
    }

    @Override
    public boolean isOpen() {
        return !ended && !lingering;
    }

    @Override
    public void writeEvent(String topic, ByteBuf frame) {
        queue.add(new Outbound.Event(topic, frame));
    }

    @Override
    public void write(Outbound reply) {
        if (reply instanceof Outbound.Text text) {
            queue.add(text);
            return;
        }
        int bytes = reply.bytes();
        reply.release(); // WebSocket control frames have no place on long-polling
        taken(reply.kind(), bytes);
    }

    @Override
    public void writeUncounted(Object frame) {
        io.netty.util.ReferenceCountUtil.release(frame); // only WebSocket candidates answer before they carry a session
    }

    private void taken(Outbound.Kind kind, int bytes) {
        if (owner != null) {
            owner.taken(kind, bytes);
        }
    }

    @Override
    public boolean pauseReads(boolean paused) {
        this.paused = paused;
        return true;
    }

    /** The queued frames' bytes, until the next poll takes them. */
    @Override
    public long pendingBytes() {
        long n = 0;
        for (Outbound.Text o : queue) {
            n += o.frame().readableBytes();
        }
        return n;
    }

    // --- requests, on the connection's loop ---

    /** A GET: answered now when something waits, else held until something does. Two at once end the session. */
    void poll(Reply reply) {
        if (ended) {
            host.pollArrived(sid); // this was the poll on its way when the client closed; the next request gets 400
            reply.okAndClose("6");
            return;
        }
        if (pendingGet != null) {
            Reply other = pendingGet;
            pendingGet = null;
            other.okAndClose("1");
            reply.error(EngineIo.BAD_REQUEST);
            fail(Disconnect.PROTOCOL_ERROR); // "overlap from client", as the reference says
            return;
        }
        pendingGet = reply;
        reply.onAbandoned(() -> loop.execute(() -> {
            if (pendingGet == reply) {
                pendingGet = null;
            }
        }));
        flush();
    }

    /**
     * A POST's packets, in order, then its answer {@code ok} (as the reference, which answers once the packets were
     * handled: a client that closed with {@code 1} and polls again finds the session gone); 400 (and the session
     * ends) when one is malformed. The body is checked whole first, then each packet handled as it is cut out: a
     * body of many small packets never becomes a list of them. Past the connection's reply bound (§8.3) the rest is
     * not read: the session ends as a slow consumer, since a client that posts and does not poll cannot be paused.
     */
    void post(Reply reply, String body) {
        if (ended || lingering) {
            reply.error(EngineIo.UNKNOWN_SID); // an ending session takes no more packets
            return;
        }
        for (int start = 0; start <= body.length(); ) {
            int end = packetEnd(body, start);
            if (end == start || "0123456b".indexOf(body.charAt(start)) < 0) {
                reply.error(EngineIo.BAD_REQUEST);
                fail(Disconnect.PROTOCOL_ERROR);
                return;
            }
            start = end + 1;
        }
        for (int start = 0; start <= body.length() && !ended && !lingering; ) {
            if (paused) {
                reply.error(EngineIo.BAD_REQUEST);
                slowConsumer();
                return;
            }
            int end = packetEnd(body, start);
            packets.accept(body.substring(start, end));
            start = end + 1;
        }
        reply.ok("ok");
    }

    private void slowConsumer() {
        if (owner != null) {
            owner.overrun();
        } else {
            fail(Disconnect.SLOW_CONSUMER);
        }
    }

    private static int packetEnd(String body, int start) {
        int end = body.indexOf(EngineIo.SEPARATOR, start);
        return end < 0 ? body.length() : end;
    }

    /** The client probed a WebSocket (§7 upgrade): polls end with a noop from now on. */
    void probed() {
        upgrading = true;
        flush();
    }

    /** The probing WebSocket went away before the upgrade: polling goes on as before. */
    void probeGone() {
        upgrading = false;
    }

    @Override
    public void flush() {
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
                        Reply r = pendingGet;
                        pendingGet = null;
                        r.ok("6");
                    }
                }, 15, TimeUnit.MILLISECONDS);
            }
            return;
        }
        StringBuilder out = new StringBuilder();
        for (Outbound.Text o : queue) {
            if (o != queue.peekFirst()) {
                out.append(EngineIo.SEPARATOR);
            }
            out.append(o.payload().toString(StandardCharsets.UTF_8));
        }
        Reply r = pendingGet;
        pendingGet = null;
        if (!r.ok(out.toString())) {
            return; // the client left before its poll was answered: what was queued waits for the next one (§10)
        }
        for (Outbound.Text o; (o = queue.poll()) != null; ) {
            int bytes = o.bytes();
            o.release();
            taken(o.kind(), bytes);
        }
        if (lingering) {
            end();
        }
    }

    /**
     * Ends with {@code why}. Frames still queued (events, an {@code 44 unauthorized}, a {@code force_sync}) go out with
     * the next poll if one comes within pingInterval + pingTimeout, as a WebSocket's go out before its close frame:
     * no event is lost silently (§10). Not when the client said goodbye or stopped answering pings, nor in the
     * drain (§8.6), which ends at once; a second close ends a lingering session at once too. A waiting poll ends
     * with a noop.
     */
    @Override
    public void close(Disconnect why) {
        if (ended) {
            return;
        }
        if (lingering) {
            end();
            return;
        }
        if (why == Disconnect.NORMAL && pendingGet == null) {
            host.closedByClient(sid); // a poll may be on its way: see PollingEndpoint
        }
        if (!queue.isEmpty() && pendingGet == null && why != Disconnect.NORMAL && why != Disconnect.PING_TIMEOUT
                && why != Disconnect.GOING_AWAY) {
            lingering = true;
            lingerTimer = loop.schedule(this::end, host.linger().toMillis(), TimeUnit.MILLISECONDS);
            return;
        }
        end();
    }

    @Override
    public void fail(Disconnect why) {
        end();
    }

    private void end() {
        if (ended) {
            return;
        }
        ended = true;
        lingering = false;
        if (lingerTimer != null) {
            lingerTimer.cancel(false);
        }
        host.forget(sid, this);
        releaseQueue();
        if (pendingGet != null) {
            Reply r = pendingGet;
            pendingGet = null;
            r.okAndClose("6"); // a noop ends the waiting poll; the next request learns the session is gone
        }
        Owner o = owner;
        if (o != null) {
            o.transportClosed(this);
        }
    }

    private void releaseQueue() {
        queue.forEach(Outbound::release);
        queue.clear();
    }

    /**
     * §7 upgrade: the session goes on over a WebSocket. Returns what nobody polled yet, in order, answers a waiting
     * poll with a 400 (the reference's answer once the transport changed) and stops serving the sid.
     */
    @Override
    public List<Outbound> handOver() {
        List<Outbound> left = new ArrayList<>(queue);
        queue.clear();
        owner = null;
        ended = true;
        host.forget(sid, this);
        if (pendingGet != null) {
            Reply r = pendingGet;
            pendingGet = null;
            r.error(EngineIo.UNKNOWN_SID);
        }
        return left;
    }
}
