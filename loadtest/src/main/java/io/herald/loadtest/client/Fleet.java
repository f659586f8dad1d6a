package io.herald.loadtest.client;

import io.herald.loadtest.Topics;
import io.herald.loadtest.TokenSigner;
import io.herald.loadtest.report.DeliveryStats;
import io.herald.loadtest.report.ErrorKind;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * The simulated clients of one run: ramps them up at a bounded rate with a bounded number of pending
 * handshakes, keeps the connected/subscribed counts, reconnects them with {@link Backoff} when asked (chaos), and
 * closes them at the end. Sessions report back through {@link SessionListener} on their event loops.
 */
public final class Fleet implements SessionListener {
    /** The largest message a client accepts: an envelope is at most 1 MiB (§3), plus its frame wrapping. */
    static final int MAX_MESSAGE = 2 * 1024 * 1024;
    private static final int MAX_NOTES = 8;

    /**
     * @param target      {@code ws://host:port} of the server
     * @param rampRate    new connections per second; 0 for as fast as {@code maxPending} allows
     * @param maxPending  connections that may be between connect and confirmed subscription at once
     * @param sources     local addresses to connect from, round-robin (more than ~28k connections per address
     *                    exhaust the ephemeral ports); empty for the system's choice
     * @param pingInterval WebSocket ping interval keeping idle connections alive (§8.1); zero for none
     * @param deflate      offer RFC 7692 permessage-deflate, as browsers and socket.io clients do
     */
    public record Settings(URI target, Dialect dialect, Topics topics, int clients, double rampRate, int maxPending,
                           List<InetAddress> sources, Duration pingInterval, Duration handshakeTimeout, boolean deflate) {
        public Settings {
            if (!"ws".equals(target.getScheme()) || target.getHost() == null) {
                throw new IllegalArgumentException("--target must look like ws://host:port (wss is not supported)");
            }
            if (clients < 1 || maxPending < 1 || rampRate < 0) {
                throw new IllegalArgumentException("clients and max-pending must be at least 1, ramp-rate not negative");
            }
            sources = List.copyOf(sources);
        }

        InetSocketAddress remote() {
            return new InetSocketAddress(target.getHost(), target.getPort() > 0 ? target.getPort() : 80);
        }
    }

    /** How the ramp went: how many were tried and confirmed, and the rate of completed upgrades. */
    public record RampResult(int attempted, int subscribed, double seconds, double handshakesPerSecond) {
    }

    private final Settings settings;
    private final ClientTransport transport;
    private final TokenSigner signer;
    private final DeliveryStats stats;
    private final PublishedSequences published;
    private final InetSocketAddress remote;
    private final String base;
    private final SimulatedClient[] clients;
    private final Semaphore pending;

    private final AtomicInteger connected = new AtomicInteger();
    private final AtomicInteger subscribed = new AtomicInteger();
    private final LongAdder attempts = new LongAdder();
    private final LongAdder reconnectFailures = new LongAdder();
    private final AtomicLong firstAttemptNanos = new AtomicLong();
    private final AtomicLong lastUpgradeNanos = new AtomicLong();
    private final Recorder subscribeMicros = new Recorder(TimeUnit.MINUTES.toMicros(10), 3);
    private final Set<String> notes = ConcurrentHashMap.newKeySet();

    private volatile Backoff reconnect;
    private volatile boolean stopping;
    private volatile int chaosEpoch;
    private final AtomicInteger lost = new AtomicInteger();
    private final AtomicInteger recovered = new AtomicInteger();
    private final AtomicLong firstLossNanos = new AtomicLong();
    private final AtomicLong lastRecoveryNanos = new AtomicLong();
    /** Bytes every client's socket delivered, headers and all (shared: it only counts). */
    private final WireBytes wireBytes = new WireBytes();

    /** Counts the bytes read from the sockets, before any decoding. */
    @io.netty.channel.ChannelHandler.Sharable
    private static final class WireBytes extends io.netty.channel.ChannelInboundHandlerAdapter {
        final LongAdder bytes = new LongAdder();

        @Override
        public void channelRead(io.netty.channel.ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof io.netty.buffer.ByteBuf b) {
                bytes.add(b.readableBytes());
            }
            ctx.fireChannelRead(msg);
        }
    }

    /** Bytes the clients' sockets have read so far. */
    public long wireBytes() {
        return wireBytes.bytes.sum();
    }

    /** What the {@code --stalled} clients observe, apart from the others. */
    private final DeliveryStats stalledStats = new DeliveryStats();

    public Fleet(Settings settings, ClientTransport transport, TokenSigner signer, DeliveryStats stats,
                 PublishedSequences published) {
        if (settings.dialect().needsToken() && signer == null) {
            throw new IllegalArgumentException("--dialect " + settings.dialect().name().toLowerCase()
                    + " needs --jwt-secret (Herald refuses clients without a token)");
        }
        this.settings = settings;
        this.transport = transport;
        this.signer = signer;
        this.stats = stats;
        this.published = published;
        this.remote = settings.remote();
        this.base = "ws://" + settings.target().getRawAuthority();
        this.clients = new SimulatedClient[settings.clients()];
        for (int i = 0; i < clients.length; i++) {
            clients[i] = new SimulatedClient(i, settings.topics().ofClient(i));
        }
        this.pending = new Semaphore(settings.maxPending());
    }

    /**
     * Connects every client, at most {@code rampRate} per second and {@code maxPending} at a time, and waits until
     * each is subscribed or has failed, or {@code timeout} passes.
     */
    public RampResult ramp(Duration timeout) throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        firstAttemptNanos.set(start);
        int attempted = 0;
        for (SimulatedClient c : clients) {
            if (settings.rampRate() > 0) {
                long due = start + (long) (attempted * 1e9 / settings.rampRate());
                for (long now; (now = System.nanoTime()) < due && now < deadline; ) {
                    LockSupport.parkNanos(Math.min(due - now, 10_000_000L));
                }
            }
            if (stopping || !pending.tryAcquire(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                break;
            }
            c.holdsPermit = true;
            connect(c);
            attempted++;
        }
        // Every attempt has settled (confirmed, failed or closed) once all permits are back.
        while (System.nanoTime() < deadline && pending.availablePermits() < settings.maxPending()) {
            Thread.sleep(20);
        }
        long last = lastUpgradeNanos.get();
        double upgradeSeconds = last > start ? (last - start) / 1e9 : 0;
        return new RampResult(attempted, subscribed.get(), (System.nanoTime() - start) / 1e9,
                upgradeSeconds > 0 ? connected.get() / upgradeSeconds : 0);
    }

    private void connect(SimulatedClient c) {
        if (stopping) {
            return;
        }
        c.startSession();
        c.connectStartedNanos = System.nanoTime();
        attempts.increment();
        URI uri = URI.create(base + settings.dialect().path(settings.topics(), c.topic, c.index));
        HttpHeaders headers = new DefaultHttpHeaders();
        if (signer != null) {
            headers.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + token(c));
        }
        WebSocketClientProtocolConfig config = WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(uri)
                .version(WebSocketVersion.V13)
                .customHeaders(headers)
                .maxFramePayloadLength(MAX_MESSAGE)
                .handleCloseFrames(false) // ClientHandler reads the close code and answers
                .sendCloseFrame(null) // close() means TCP close; ClientHandler writes close frames itself
                .generateOriginHeader(false) // a non-browser client (§8.5)
                .withUTF8Validator(false) // events are scanned as bytes; the server's UTF-8 is not under test
                .handshakeTimeoutMillis(settings.handshakeTimeout().toMillis())
                .allowExtensions(settings.deflate())
                .build();
        long pingMillis = settings.pingInterval().toMillis();
        ChannelFuture f = transport.connect(remote, source(c.index), new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                ChannelPipeline p = ch.pipeline();
                p.addLast(wireBytes); // what the socket delivered, compressed or not
                p.addLast(new HttpClientCodec());
                if (settings.deflate()) {
                    // offers permessage-deflate and inflates what the server compressed
                    p.addLast(new io.netty.handler.codec.http.websocketx.extensions.compression
                            .WebSocketClientCompressionHandler(MAX_MESSAGE));
                }
                p.addLast(new HttpObjectAggregator(64 * 1024));
                p.addLast(new WebSocketClientProtocolHandler(config));
                p.addLast(new WebSocketFrameAggregator(MAX_MESSAGE));
                p.addLast(new ClientHandler(c, settings.dialect(), settings.topics(), stats, stalledStats, published,
                        Fleet.this, pingMillis));
            }
        });
        c.channel = f.channel();
        f.addListener(done -> {
            if (!done.isSuccess()) {
                connectFailed(c, done.cause());
            }
        });
    }

    private String token(SimulatedClient c) {
        if (c.token == null) {
            boolean channels = settings.dialect() == Dialect.CHANNELS;
            List<String> grant = List.of(settings.topics().id(c.topic));
            List<String> devices = settings.dialect() == Dialect.SYNC ? List.of(Dialect.device(c.index)) : List.of();
            // Socket.IO clients of Herald receive user:{sub} events (§7): topic k's clients are all user t<k>.
            String subject = settings.dialect() == Dialect.SOCKETIO ? settings.topics().id(c.topic) : "loadtest-" + c.index;
            c.token = signer.client(subject, channels ? List.of() : grant, devices, channels ? grant : List.of());
        }
        return c.token;
    }

    private InetAddress source(int client) {
        List<InetAddress> s = settings.sources();
        return s.isEmpty() ? null : s.get(client % s.size());
    }

    private void connectFailed(SimulatedClient c, Throwable cause) {
        if (reconnect != null && !stopping) {
            reconnectFailures.increment();
            scheduleReconnect(c);
            return;
        }
        stats.error(ErrorKind.CONNECT);
        note("connect: " + cause);
        releasePermit(c);
    }

    private void scheduleReconnect(SimulatedClient c) {
        long delay = reconnect.delayMillis(c.failures++);
        transport.group().schedule(() -> connect(c), delay, TimeUnit.MILLISECONDS);
    }

    private void releasePermit(SimulatedClient c) {
        if (c.holdsPermit) {
            c.holdsPermit = false;
            pending.release();
        }
    }

    @Override
    public void upgraded(SimulatedClient c) {
        connected.incrementAndGet();
        lastUpgradeNanos.accumulateAndGet(System.nanoTime(), Math::max);
    }

    @Override
    public void subscribed(SimulatedClient c) {
        long now = System.nanoTime();
        subscribed.incrementAndGet();
        c.failures = 0;
        subscribeMicros.recordValue(Math.min((now - c.connectStartedNanos) / 1000, TimeUnit.MINUTES.toMicros(10)));
        releasePermit(c);
        int epoch = chaosEpoch;
        if (epoch > 0 && c.lostEpoch == epoch && c.recoveredEpoch != epoch) {
            c.recoveredEpoch = epoch;
            recovered.incrementAndGet();
            lastRecoveryNanos.accumulateAndGet(now, Math::max);
        }
    }

    @Override
    public void failed(SimulatedClient c, ErrorKind kind, String detail) {
        boolean chaosExpected = reconnect != null && (kind == ErrorKind.IO || kind == ErrorKind.HANDSHAKE);
        if (stopping && kind == ErrorKind.IO) {
            return; // a reset while we close is not a finding
        }
        if (chaosExpected) {
            reconnectFailures.increment();
            return;
        }
        if (c.stalled) {
            stalledStats.error(kind); // a stalled client's troubles are reported with it, not as the others'
            return;
        }
        stats.error(kind);
        note(kind.key() + ": " + detail);
    }

    @Override
    public void closed(SimulatedClient c, int code, boolean dropped) {
        boolean wasUpgraded = c.upgraded;
        boolean wasSubscribed = c.subscribed;
        c.upgraded = false;
        c.subscribed = false;
        if (wasUpgraded) {
            connected.decrementAndGet();
        }
        if (wasSubscribed) {
            subscribed.decrementAndGet();
        }
        releasePermit(c);
        c.closeCode = code;
        if (stopping) {
            return;
        }
        if (c.stalled) {
            stalledStats.closed(code); // expected: a slow consumer ends (§8.3), counted apart
            return;
        }
        if (wasUpgraded && !dropped) {
            stats.closed(code);
            if (reconnect == null) {
                stats.error(ErrorKind.UNEXPECTED_CLOSE);
                note("closed by the server with " + code);
            }
        }
        int epoch = chaosEpoch;
        if (epoch > 0 && c.lostEpoch != epoch) {
            c.lostEpoch = epoch;
            lost.incrementAndGet();
            firstLossNanos.compareAndSet(0, System.nanoTime());
        }
        if (reconnect != null) {
            scheduleReconnect(c);
        }
    }

    /** From now on a closed or failed client reconnects after {@code backoff}, and re-subscribes. */
    public void reconnectWith(Backoff backoff) {
        this.reconnect = backoff;
    }

    /** Starts counting losses and recoveries afresh: every client that loses its connection from now must come back. */
    public void armChaos() {
        lost.set(0);
        recovered.set(0);
        firstLossNanos.set(0);
        lastRecoveryNanos.set(0);
        chaosEpoch++;
    }

    /** Chaos {@code drop}: closes every connection at once without a close frame. */
    public void dropAll() {
        for (SimulatedClient c : clients) {
            Channel ch = c.channel;
            if (ch != null && ch.isActive()) {
                ch.eventLoop().execute(() -> {
                    ClientHandler h = ch.pipeline().get(ClientHandler.class);
                    if (h != null) {
                        h.drop();
                    } else {
                        ch.close();
                    }
                });
            }
        }
    }

    /**
     * {@code --stalled}: marks {@code percent} of the clients (spread evenly over the fleet, so over the topics) as
     * stalled; their observations go to {@link #stalledStats()} from now on. Returns how many.
     */
    public int markStalled(double percent) {
        int n = clients.length;
        long count = Math.round(n * percent / 100.0);
        int marked = 0;
        for (int i = 0; i < n; i++) {
            if ((long) i * count / n != (long) (i + 1) * count / n) {
                clients[i].stalled = true;
                marked++;
            }
        }
        return marked;
    }

    /** Stops reading the stalled clients' sockets ({@code reading} false), or reads them again. */
    public void readStalled(boolean reading) {
        for (SimulatedClient c : clients) {
            Channel ch = c.channel;
            if (c.stalled && ch != null && ch.isActive()) {
                ch.eventLoop().execute(() -> {
                    ch.config().setAutoRead(reading);
                    if (reading) {
                        ch.read();
                    }
                });
            }
        }
    }

    /** Waits at most {@code timeout} until every stalled client's connection has closed; returns how many are open. */
    public int awaitStalledClosed(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        int open;
        do {
            open = 0;
            for (SimulatedClient c : clients) {
                Channel ch = c.channel;
                if (c.stalled && ch != null && ch.isOpen()) {
                    open++;
                }
            }
            if (open > 0) {
                Thread.sleep(50);
            }
        } while (open > 0 && System.nanoTime() < deadline);
        return open;
    }

    public DeliveryStats stalledStats() {
        return stalledStats;
    }

    /** The stalled clients, for the report. */
    public List<SimulatedClient> stalledClients() {
        List<SimulatedClient> out = new ArrayList<>();
        for (SimulatedClient c : clients) {
            if (c.stalled) {
                out.add(c);
            }
        }
        return out;
    }

    /** Ends every session with a closing handshake, waiting at most {@code timeout} before cutting TCP. */
    public void closeAll(Duration timeout) throws InterruptedException {
        stopping = true;
        List<Channel> open = new ArrayList<>();
        for (SimulatedClient c : clients) {
            Channel ch = c.channel;
            if (ch != null && ch.isOpen()) {
                open.add(ch);
                ch.eventLoop().execute(() -> {
                    ClientHandler h = ch.pipeline().get(ClientHandler.class);
                    if (h != null) {
                        h.closeGracefully();
                    } else {
                        ch.close();
                    }
                });
            }
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Channel ch : open) {
            long left = deadline - System.nanoTime();
            if (left <= 0 || !ch.closeFuture().await(left, TimeUnit.NANOSECONDS)) {
                ch.close();
            }
        }
        for (Channel ch : open) {
            ch.closeFuture().await(1, TimeUnit.SECONDS);
        }
    }

    private void note(String line) {
        if (notes.size() < MAX_NOTES) {
            notes.add(line);
        }
    }

    /** A few distinct error details, for the end of a run. */
    public List<String> notes() {
        return List.copyOf(new TreeSet<>(notes));
    }

    public int size() {
        return clients.length;
    }

    public int connected() {
        return connected.get();
    }

    public int subscribed() {
        return subscribed.get();
    }

    /** Confirmed subscribers per topic, now (stalled clients left out). */
    public int[] subscribedPerTopic() {
        int[] n = new int[settings.topics().count()];
        for (SimulatedClient c : clients) {
            if (c.isSubscribed() && !c.stalled) {
                n[c.topic]++;
            }
        }
        return n;
    }

    /** Connection attempts so far, first ones and reconnects. */
    public long attempts() {
        return attempts.sum();
    }

    /** Connects and upgrades that failed while reconnecting (chaos expects them while the server is away). */
    public long reconnectFailures() {
        return reconnectFailures.sum();
    }

    /** Clients that lost their connection since {@link #armChaos()}. */
    public int lost() {
        return lost.get();
    }

    /** Of those, the ones subscribed again. */
    public int recovered() {
        return recovered.get();
    }

    /** {@code System.nanoTime()} of the first loss since {@link #armChaos()}, 0 while none. */
    public long firstLossNanos() {
        return firstLossNanos.get();
    }

    /** {@code System.nanoTime()} of the latest recovery since {@link #armChaos()}, 0 while none. */
    public long lastRecoveryNanos() {
        return lastRecoveryNanos.get();
    }

    /** Connect-to-subscribed times (microseconds) of the sessions since the last call. */
    public Histogram subscribeTimes() {
        return subscribeMicros.getIntervalHistogram();
    }
}
