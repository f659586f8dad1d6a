package io.herald.client;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A reconnecting client of one Herald endpoint: {@link SyncClient} (§4), {@link RealtimeClient} (§5) or
 * {@link ChannelsClient} (§6). It connects, keeps the connection alive with the dialect's JSON ping (§8.1),
 * reconnects with backoff when the connection ends ({@link ReconnectPolicy} has the rules, including when it
 * gives up), and re-subscribes on every new connection what was subscribed before.
 *
 * <p>Threading: everything of one client (connection, timers, state, listener calls) runs on one event loop of
 * its {@link ClientResources}; public methods may be called from any thread. Listeners must not block; one that
 * throws is logged and skipped.
 *
 * <p>The token travels in an {@code Authorization: Bearer} header (§2), never in the URL.
 */
public abstract sealed class HeraldClient implements AutoCloseable permits SyncClient, RealtimeClient, ChannelsClient {
    private static final Logger log = LoggerFactory.getLogger(HeraldClient.class);
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

    private final URI uri;
    private final ClientDialect dialect;
    private final TokenSource tokens;
    private final ClientOptions options;
    private final ClientResources resources;
    private final boolean ownsResources;
    private final EventLoop loop;
    private final ReconnectPolicy policy;
    private final SslContext tls;
    private final Session session = new Session();

    private final Listeners<StateListener> stateListeners = new Listeners<>("state");
    private final Listeners<EventListener> eventListeners = new Listeners<>("event");
    private final Listeners<SubscriptionListener> subscriptionListeners = new Listeners<>("subscription");
    private final Listeners<ErrorListener> errorListeners = new Listeners<>("error");

    private final AtomicLong attempts = new AtomicLong();
    private final AtomicLong connections = new AtomicLong();
    private final AtomicLong pings = new AtomicLong();
    private final AtomicLong pongs = new AtomicLong();
    private final AtomicLong events = new AtomicLong();

    // Confined to the event loop, except state, which any thread may read.
    private volatile ConnectionState state = ConnectionState.DISCONNECTED;
    private boolean running;
    private boolean closed;
    private Channel channel;
    private ClientConnectionHandler connection;
    private boolean good;
    private int failures;
    private ScheduledFuture<?> retry;
    private final List<CompletableFuture<Void>> pendingConnects = new ArrayList<>();

    HeraldClient(URI server, ClientDialect dialect, TokenSource tokens, ClientOptions options, ClientResources resources) {
        if (tokens == null || options == null) {
            throw new IllegalArgumentException("tokens and options are required");
        }
        this.uri = endpoint(server, dialect.path());
        this.dialect = dialect;
        this.tokens = tokens;
        this.options = options;
        this.policy = ReconnectPolicy.from(options);
        this.tls = "wss".equals(uri.getScheme()) ? tls(options) : null;
        this.ownsResources = resources == null;
        this.resources = resources != null ? resources : ClientResources.create();
        this.loop = this.resources.next();
    }

    // ---- factories ----------------------------------------------------------------------------------------

    /** A §5 realtime client; {@code server} is the base, e.g. {@code ws://host:8080}. */
    public static RealtimeClient realtime(URI server, TokenSource tokens, ClientOptions options) {
        return new RealtimeClient(server, tokens, options, null);
    }

    public static RealtimeClient realtime(URI server, TokenSource tokens, ClientOptions options, ClientResources resources) {
        return new RealtimeClient(server, tokens, options, requireResources(resources));
    }

    /** A §4 sync client for one device. */
    public static SyncClient sync(URI server, String deviceId, TokenSource tokens, ClientOptions options) {
        return new SyncClient(server, deviceId, tokens, options, null);
    }

    public static SyncClient sync(URI server, String deviceId, TokenSource tokens, ClientOptions options,
                                  ClientResources resources) {
        return new SyncClient(server, deviceId, tokens, options, requireResources(resources));
    }

    /** A §6 channels client. */
    public static ChannelsClient channels(URI server, TokenSource tokens, ClientOptions options) {
        return new ChannelsClient(server, tokens, options, null);
    }

    public static ChannelsClient channels(URI server, TokenSource tokens, ClientOptions options, ClientResources resources) {
        return new ChannelsClient(server, tokens, options, requireResources(resources));
    }

    private static ClientResources requireResources(ClientResources r) {
        if (r == null) {
            throw new IllegalArgumentException("resources");
        }
        return r;
    }

    // ---- public API ---------------------------------------------------------------------------------------

    /**
     * Starts connecting (and reconnecting) unless already running. The future completes when the client is
     * next CONNECTED (admitted by the server), or fails with {@link ClientStoppedException} if it stops first
     * (closed, or gave up on refused credentials). After giving up, {@code connect()} starts again, e.g. once
     * the token source has a new token.
     */
    public CompletableFuture<Void> connect() {
        CompletableFuture<Void> f = new CompletableFuture<>();
        onLoop(() -> {
            if (closed) {
                f.completeExceptionally(new ClientStoppedException(Disconnect.closedByClient()));
            } else if (state == ConnectionState.CONNECTED) {
                f.complete(null);
            } else {
                pendingConnects.add(f);
                if (!running) {
                    running = true;
                    failures = 0;
                    attempt();
                }
            }
        }, f);
        return f;
    }

    /** Closes the connection (close 1000), stops reconnecting, and releases the client's own resources. */
    @Override
    public void close() {
        try {
            closeAsync().get(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
            log.warn("{}: close did not finish in {}", uri, CLOSE_WAIT);
        }
        if (ownsResources) {
            resources.shutdown(CLOSE_WAIT);
        }
    }

    /** Like {@link #close()} without waiting and without releasing resources; completes once DISCONNECTED. */
    public CompletableFuture<Void> closeAsync() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        onLoop(() -> {
            closed = true;
            running = false;
            if (retry != null) {
                retry.cancel(false);
                retry = null;
            }
            Disconnect d = Disconnect.closedByClient();
            failPendingConnects(d);
            if (channel != null) {
                channel.closeFuture().addListener(x -> done.complete(null));
                connection.closeByClient(channel);
            } else {
                if (state != ConnectionState.DISCONNECTED) {
                    setState(ConnectionState.DISCONNECTED, d, null);
                }
                done.complete(null);
            }
        }, done);
        return done;
    }

    public ConnectionState state() {
        return state;
    }

    /** The endpoint this client connects to (no token in it). */
    public URI uri() {
        return uri;
    }

    public ClientOptions options() {
        return options;
    }

    public ClientStats stats() {
        return new ClientStats(attempts.get(), connections.get(), pings.get(), pongs.get(), events.get());
    }

    public void addStateListener(StateListener l) {
        stateListeners.add(l);
    }

    public boolean removeStateListener(StateListener l) {
        return stateListeners.remove(l);
    }

    public void addEventListener(EventListener l) {
        eventListeners.add(l);
    }

    public boolean removeEventListener(EventListener l) {
        return eventListeners.remove(l);
    }

    public void addSubscriptionListener(SubscriptionListener l) {
        subscriptionListeners.add(l);
    }

    public boolean removeSubscriptionListener(SubscriptionListener l) {
        return subscriptionListeners.remove(l);
    }

    public void addErrorListener(ErrorListener l) {
        errorListeners.add(l);
    }

    public boolean removeErrorListener(ErrorListener l) {
        return errorListeners.remove(l);
    }

    // ---- for the dialect clients (all on the event loop) -----------------------------------------------------

    /** Re-sends every subscription once a new connection is admitted, before it is reported CONNECTED (§4, §5, §6). */
    abstract void resubscribe();

    /**
     * §11: per share (sync, realtime) or channel, where this client stands in its history: set by {@code subscribed},
     * advanced by each event's offset, reset by a {@code force_sync}. Subscriptions resume from it on each new
     * connection ({@code since}), so missed events arrive instead of a {@code force_sync}.
     */
    private final java.util.concurrent.ConcurrentHashMap<String, Position> positions = new java.util.concurrent.ConcurrentHashMap<>();

    /** §11: where this client stands per share or channel (empty when the server keeps no history). */
    public java.util.Map<String, Position> positions() {
        return java.util.Map.copyOf(positions);
    }

    /** The position to resume {@code target} from, or null. */
    final Position position(String target) {
        return positions.get(target);
    }

    /** The client no longer follows {@code target}: its position goes. */
    final void forgetPosition(String target) {
        positions.remove(target);
    }

    private void track(ServerMessage.Event e) {
        String target = e.event().shareId() != null ? e.event().shareId() : e.event().channel();
        if (target == null) {
            return;
        }
        if (e.resumeFrom() != null) {
            positions.put(target, e.resumeFrom()); // force_sync: delivery goes on from there
        } else if ("force_sync".equals(e.event().type())) {
            positions.remove(target); // a force_sync naming no position: nothing to resume from any more
        } else if (e.offset() > 0) {
            positions.computeIfPresent(target, (t, p) -> e.offset() > p.offset() ? new Position(p.epoch(), e.offset()) : p);
        }
    }

    /** A subscription confirmation arrived. */
    void onSubscribed(ServerMessage.Subscribed s) {
    }

    /** The server ended a subscription. */
    void onUnsubscribed(ServerMessage.Unsubscribed u) {
    }

    /** §6 {@code refreshed} arrived. */
    void onRefreshed(ServerMessage.Refreshed r) {
    }

    /** An error frame arrived; returns it as listeners should see it (e.g. with its target filled in). */
    ServerError onServerError(ServerError e) {
        return e;
    }

    /** The connection ended: forget what was per connection (e.g. pending command ids). */
    void onConnectionEnded() {
    }

    /** Whether there is an upgraded connection to send commands on. */
    final boolean canSend() {
        return channel != null && connection != null && connection.opened() && channel.isActive();
    }

    /** Sends a command on the open connection; false (nothing sent) while there is none. */
    final boolean send(String json) {
        if (!canSend()) {
            return false;
        }
        channel.writeAndFlush(new TextWebSocketFrame(json));
        return true;
    }

    /** Runs {@code task} on the client's event loop (now, when already there). */
    final void onLoop(Runnable task) {
        onLoop(task, null);
    }

    private void onLoop(Runnable task, CompletableFuture<?> onRejected) {
        if (loop.inEventLoop()) {
            task.run();
            return;
        }
        try {
            loop.execute(task);
        } catch (RejectedExecutionException e) {
            if (onRejected != null) {
                onRejected.completeExceptionally(new ClientStoppedException(Disconnect.closedByClient()));
            }
        }
    }

    /** §3: an id or name is 1–200 characters of {@code A-Z a-z 0-9 _ . : @ ~ -}. */
    static String requireValidId(String id, String what) {
        if (id == null || id.isEmpty() || id.length() > 200) {
            throw new IllegalArgumentException(what + " must be 1-200 characters");
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '_' || c == '.' || c == ':' || c == '@' || c == '~' || c == '-';
            if (!ok) {
                throw new IllegalArgumentException(what + " has a character outside A-Z a-z 0-9 _ . : @ ~ - (§3)");
            }
        }
        return id;
    }

    // ---- the connection loop ----------------------------------------------------------------------------------

    private void attempt() {
        retry = null;
        if (!running) {
            return;
        }
        setState(ConnectionState.CONNECTING, null, null);
        attempts.incrementAndGet();
        HttpHeaders headers = new DefaultHttpHeaders();
        try {
            String token = tokens.token();
            if (token != null) {
                headers.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + token); // validated: no CR/LF
            }
        } catch (RuntimeException e) {
            // The exception's message could quote the token: log its type only (§2).
            log.warn("{}: no usable token ({})", uri, e.getClass().getName());
            ended(null, Disconnect.connectFailed("no usable token: " + e.getClass().getSimpleName()));
            return;
        }
        ClientConnectionHandler handler = new ClientConnectionHandler(session);
        Bootstrap b = new Bootstrap()
                .group(loop)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) options.connectTimeout().toMillis())
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ClientPipeline(uri, headers, options, dialect, tls, session, handler));
        ChannelFuture connecting = b.connect(uri.getHost(), port(uri));
        Channel ch = connecting.channel();
        channel = ch;
        connection = handler;
        ch.closeFuture().addListener(x -> ended(ch, disconnectOf(handler, connecting)));
    }

    private static Disconnect disconnectOf(ClientConnectionHandler handler, ChannelFuture connecting) {
        if (handler.disconnect() != null) {
            return handler.disconnect();
        }
        if (handler.opened()) {
            return Disconnect.connectionLost("closed without a close frame");
        }
        Throwable cause = connecting.cause();
        return Disconnect.connectFailed(cause != null ? cause.toString() : "closed during the upgrade");
    }

    /** A connection or attempt ended: reconnect after the backoff delay, or stop. */
    private void ended(Channel ch, Disconnect d) {
        if (ch != null && ch != channel) {
            return;
        }
        channel = null;
        connection = null;
        boolean wasGood = good;
        good = false;
        onConnectionEnded();
        if (!running) {
            setState(ConnectionState.DISCONNECTED, d, null);
            return;
        }
        if (!options.autoReconnect() || !ReconnectPolicy.shouldReconnect(d, wasGood)) {
            running = false;
            if (d.isAuthRefusal()) {
                log.warn("{}: refused with {} {}; not reconnecting (needs new credentials, then connect())",
                        uri, d.closeCode(), d.reason());
            }
            setState(ConnectionState.DISCONNECTED, d, null);
            failPendingConnects(d);
            return;
        }
        Duration delay = policy.delay(failures);
        failures = failures == Integer.MAX_VALUE ? failures : failures + 1;
        setState(ConnectionState.RECONNECTING, d, delay);
        retry = loop.schedule(this::attempt, delay.toNanos(), TimeUnit.NANOSECONDS);
    }

    /**
     * The server answered something only an admitted connection gets (realtime/channels {@code connected},
     * {@code subscribed}, {@code pong}): the connection is good, and CONNECTED.
     */
    private void admitted() {
        if (good) {
            return;
        }
        good = true;
        failures = 0;
        connections.incrementAndGet();
        resubscribe();
        setState(ConnectionState.CONNECTED, null, null);
        List<CompletableFuture<Void>> waiting = new ArrayList<>(pendingConnects);
        pendingConnects.clear();
        waiting.forEach(f -> f.complete(null));
    }

    private void setState(ConnectionState next, Disconnect d, Duration retryIn) {
        ConnectionState previous = state;
        state = next;
        StateChange change = new StateChange(previous, next, d, retryIn);
        if (next == ConnectionState.RECONNECTING) {
            log.info("{}: {} ({} {} {}); retrying in {} ms", uri, next, d.kind(), d.closeCode(), d.reason(),
                    retryIn.toMillis());
        } else if (next == ConnectionState.CONNECTING) {
            log.debug("{}: {}", uri, next);
        } else {
            log.info("{}: {}{}", uri, next, d == null ? "" : " (" + d.kind() + " " + d.closeCode() + " " + d.reason() + ")");
        }
        stateListeners.fire(l -> l.onStateChange(change));
    }

    private void failPendingConnects(Disconnect d) {
        if (pendingConnects.isEmpty()) {
            return;
        }
        List<CompletableFuture<Void>> waiting = new ArrayList<>(pendingConnects);
        pendingConnects.clear();
        ClientStoppedException e = new ClientStoppedException(d);
        waiting.forEach(f -> f.completeExceptionally(e));
    }

    /** The client as its connections and heartbeats see it; on the event loop. */
    private final class Session implements ClientConnectionHandler.Session, HeartbeatHandler.Counter {
        @Override
        public void opened(Channel ch) {
            // Upgraded, not yet admitted: a refused token is closed 4401 right after this (§5). The heartbeat
            // probes dialects without a greeting; admitted() follows the answer.
            log.debug("{}: upgraded {}", uri, ch);
        }

        @Override
        public void received(Channel ch, ServerMessage m) {
            if (ch != channel) {
                return;
            }
            if (m instanceof ServerMessage.Event e) {
                track(e);
                events.incrementAndGet();
                eventListeners.fire(l -> l.onEvent(e.event()));
            } else if (m instanceof ServerMessage.Connected || m instanceof ServerMessage.Pong) {
                admitted();
            } else if (m instanceof ServerMessage.Subscribed s) {
                positions.putAll(s.positions());
                admitted();
                onSubscribed(s);
                subscriptionListeners.fire(l -> l.onSubscribed(s.targets()));
            } else if (m instanceof ServerMessage.Unsubscribed u) {
                onUnsubscribed(u);
                if (u.target() != null) {
                    subscriptionListeners.fire(l -> l.onUnsubscribed(u.target()));
                }
            } else if (m instanceof ServerMessage.Refreshed r) {
                onRefreshed(r);
            } else if (m instanceof ServerMessage.Error e) {
                ServerError error = onServerError(e.error());
                errorListeners.fire(l -> l.onError(error));
            }
        }

        @Override
        public void pingSent() {
            pings.incrementAndGet();
        }

        @Override
        public void pongReceived() {
            pongs.incrementAndGet();
        }
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    private static URI endpoint(URI server, String path) {
        if (server == null || server.getHost() == null
                || !("ws".equals(server.getScheme()) || "wss".equals(server.getScheme()))) {
            throw new IllegalArgumentException("server must be a ws:// or wss:// URI with a host, was " + server);
        }
        if (server.getRawQuery() != null || server.getRawFragment() != null) {
            throw new IllegalArgumentException("server must have no query or fragment (the token goes in a header)");
        }
        String base = server.getRawPath() == null ? "" : server.getRawPath();
        if (base.endsWith("/")) {
            base = base.substring(0, base.length() - 1);
        }
        return URI.create(server.getScheme() + "://" + server.getRawAuthority() + base + path);
    }

    static int port(URI uri) {
        return uri.getPort() > 0 ? uri.getPort() : "wss".equals(uri.getScheme()) ? 443 : 80;
    }

    private static SslContext tls(ClientOptions options) {
        if (options.sslContext() != null) {
            return options.sslContext();
        }
        try {
            return SslContextBuilder.forClient().build();
        } catch (SSLException e) {
            throw new IllegalStateException("cannot build the default TLS context", e);
        }
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "{" + uri + ", " + state + "}";
    }
}
