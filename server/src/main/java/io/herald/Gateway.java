package io.herald;

import io.herald.api.AdminPage;
import io.herald.api.ControlApi;
import io.herald.api.HealthApi;
import io.herald.api.MetricsApi;
import io.herald.api.PublishApi;
import io.herald.api.StatsApi;
import io.herald.api.TopicTailApi;
import io.herald.api.TopicTails;
import io.herald.auth.AuthProxy;
import io.herald.auth.Authenticator;
import io.herald.auth.TokenVerifier;
import io.herald.broker.Broker;
import io.herald.broker.local.LocalBroker;
import io.herald.broker.ControlChannel;
import io.herald.broker.history.InMemoryHistory;
import io.herald.broker.redis.RedisBroker;
import io.herald.broker.redis.RedisControlChannel;
import io.herald.config.ConfigException;
import io.herald.config.ConfigKey;
import io.herald.config.HeraldConfig;
import io.herald.hub.Envelope;
import io.herald.hub.EnvelopeParser;
import io.herald.hub.FrameRenderer;
import io.herald.hub.Hub;
import io.herald.logging.Logs;
import io.herald.metrics.Metrics;
import io.herald.metrics.Stats;
import io.herald.protocol.ConnectionCore;
import io.herald.protocol.ControlActions;
import io.herald.protocol.ConnectionPolicy;
import io.herald.protocol.Connections;
import io.herald.protocol.Dialect;
import io.herald.protocol.Disconnect;
import io.herald.protocol.Endpoint;
import io.herald.protocol.channels.ChannelsDialect;
import io.herald.protocol.realtime.RealtimeDialect;
import io.herald.protocol.socketio.AdapterIngress;
import io.herald.protocol.socketio.SocketIoDialect;
import io.herald.protocol.socketio.SocketIoSettings;
import io.herald.protocol.sync.SyncDialect;
import io.herald.transport.HeraldChannelInitializer;
import io.herald.transport.HttpRouter;
import io.herald.transport.OriginPolicy;
import io.herald.transport.RouteSpec;
import io.herald.transport.Routes;
import io.herald.transport.ServerTransport;
import io.herald.transport.TlsContexts;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.ssl.SslContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The composition root: builds every part from one {@link HeraldConfig}, starts them in dependency order
 * (broker, hub, listener) and stops them in reverse (§8.6). Used by {@code main} and by tests.
 */
public final class Gateway implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Gateway.class);
    private static final Duration BIND_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration BROKER_READY_TIMEOUT = Duration.ofSeconds(10);

    private final HeraldConfig config;
    private final Stats stats = new Stats();
    private final Broker broker;
    /** Messages between instances that are not topic traffic (Redis only), or null. */
    private ControlChannel control;
    private final Hub hub;
    private final Connections connections;
    private final ServerTransport transport;
    /** §12, or null without {@code HERALD_AUTH_PROXY}. */
    private final AuthProxy authProxy;
    private final InetSocketAddress address;
    private boolean closed;

    private Gateway(HeraldConfig config, Clock clock, boolean keyConfigured) {
        if (config.developmentMode()) {
            throw new ConfigException(ConfigKey.JWT_SECRET.envName() + ": a key is required (main() makes one in development mode)");
        }
        this.config = config;
        Logs.use(config.logFormat(), config.instanceId()); // §1: before this gateway's first line
        TokenVerifier verifier = TokenVerifier.from(config, clock);
        this.transport = new ServerTransport(Math.max(1, Runtime.getRuntime().availableProcessors()));
        // §12: credentials that are not JWSs go to the backend, from the event loops themselves
        this.authProxy = config.authProxy() == null ? null : new AuthProxy(config.authProxy(),
                config.authProxyTimeout(), config.authProxyCache(), clock, transport.workers(), transport.clientChannel());
        Authenticator authenticator = new Authenticator(verifier, keyConfigured, authProxy, config.authProxyHeaders());
        SslContext tls = config.tlsCert() != null ? TlsContexts.server(config.tlsCert(), config.tlsKey()) : null;
        this.broker = createBroker(config);

        Map<Endpoint, Dialect> dialects = new EnumMap<>(Endpoint.class);
        dialects.put(Endpoint.SYNC, new SyncDialect(broker.history()));
        dialects.put(Endpoint.REALTIME, new RealtimeDialect(clock, broker.history()));
        dialects.put(Endpoint.CHANNELS, new ChannelsDialect(authenticator, clock, broker.history()));
        SocketIoSettings socketIo = config.socketIoConformance() ? SocketIoSettings.conformanceProfile() : SocketIoSettings.production();
        OriginPolicy origins = new OriginPolicy(config.allowedOrigins(), tls != null);
        SocketIoDialect socketIoDialect = new SocketIoDialect(socketIo, authenticator, origins, false);
        dialects.put(Endpoint.SOCKETIO, socketIoDialect);
        // The hub's renderer slots follow Endpoint order; an endpoint not served yet renders nothing.
        List<FrameRenderer> renderers = new ArrayList<>();
        for (Endpoint e : Endpoint.values()) {
            Dialect d = dialects.get(e);
            renderers.add(d != null ? d : (envelope, alloc) -> null);
        }
        // one slot more, after the dialects': the admin page's topic tails (envelope JSON, for watched topics only)
        TopicTails tails = new TopicTails();
        int tailSlot = renderers.size();
        renderers.add(tails);
        this.hub = new Hub(renderers, broker, ByteBufAllocator.DEFAULT, stats);
        this.connections = new Connections(config.idleTimeout(), clock, socketIo.sweepInterval(), config.maxConnections());
        ConnectionCore core = new ConnectionCore(hub, stats, connections, ConnectionPolicy.from(config));
        socketIoDialect.useCore(core);
        // §11: connection state recovery over the broker's history, for clients that ask or (config) for all
        socketIoDialect.useRecovery(broker.history(), config.socketIoRecovery());
        // §7 conformance profile only: a bare Engine.IO echo server for the engine.io-protocol test suite
        SocketIoDialect engineEcho = config.socketIoConformance() ? new SocketIoDialect(socketIo, authenticator, origins, true) : null;
        if (engineEcho != null) {
            engineEcho.useCore(core);
        }

        // §9: each route declares the methods it serves and its largest body; everything else takes 16 KiB.
        RouteSpec getOnly = RouteSpec.of(RouteSpec.SMALL_BODY, HttpMethod.GET);
        RouteSpec getOrHead = RouteSpec.of(RouteSpec.SMALL_BODY, HttpMethod.GET, HttpMethod.HEAD);
        RouteSpec postSmall = RouteSpec.of(RouteSpec.SMALL_BODY, HttpMethod.POST);
        ControlApi controlApi = new ControlApi(verifier, new ControlActions(connections, config.instanceId()),
                config.instanceId(), authProxy);
        RouteSpec polling = socketIoDialect.route(); // §7: long-polling bodies up to maxPayload, Engine.IO's 400s
        Routes routes = new Routes()
                .dialectWithParameter("/api/v1/sync/ws/", dialects.get(Endpoint.SYNC))
                .dialect("/api/v1/realtime/ws", dialects.get(Endpoint.REALTIME))
                .dialect("/ws", dialects.get(Endpoint.CHANNELS))
                // §7: with and without the trailing slash, and Immich's /api prefix
                .dialect("/socket.io/", socketIoDialect, polling, socketIoDialect.pollingEndpoint())
                .dialect("/socket.io", socketIoDialect, polling, socketIoDialect.pollingEndpoint())
                .dialect("/api/socket.io/", socketIoDialect, polling, socketIoDialect.pollingEndpoint())
                .dialect("/api/socket.io", socketIoDialect, polling, socketIoDialect.pollingEndpoint())
                .http("/api/v1/publish", new PublishApi(verifier, new EnvelopeParser(), broker),
                        RouteSpec.of(EnvelopeParser.MAX_BATCH_BYTES, HttpMethod.POST))
                .http("/api/v1/realtime/stats", new StatsApi(verifier, config.instanceId(), stats, hub, broker), getOnly)
                // §12 control API (admin): every instance acts, through the control bus once Redis is up
                .http("/api/v1/disconnect", controlApi.disconnect(), postSmall)
                .http("/api/v1/subscribe", controlApi.subscribe(), postSmall)
                .http("/api/v1/unsubscribe", controlApi.unsubscribe(), postSmall)
                .http("/api/v1/connections", controlApi.connections(), getOnly)
                // the admin page (issue 15): static files from the jar; its data comes from the admin APIs
                .http("/admin", AdminPage.file("index.html", "text/html; charset=utf-8"), getOrHead)
                .http("/admin/", AdminPage.file("index.html", "text/html; charset=utf-8"), getOrHead)
                .http("/admin/admin.js", AdminPage.file("admin.js", "text/javascript; charset=utf-8"), getOrHead)
                .http("/admin/admin.css", AdminPage.file("admin.css", "text/css; charset=utf-8"), getOrHead)
                .http("/api/v1/admin/tail", new TopicTailApi(verifier, hub, tails, tailSlot, config.instanceId(), clock),
                        getOnly)
                .http("/metrics", new MetricsApi(Metrics.registry(stats, hub, broker, config.instanceId())), getOnly)
                .http("/healthz", HealthApi.live(), getOrHead)
                .http("/readyz", HealthApi.ready(broker), getOrHead);
        if (engineEcho != null) {
            routes.dialect("/engine.io/", engineEcho, engineEcho.route(), engineEcho.pollingEndpoint())
                    .dialect("/engine.io", engineEcho, engineEcho.route(), engineEcho.pollingEndpoint());
        }
        HttpRouter router = new HttpRouter(routes, authenticator, core, origins, config.maxFrame(), config.compression());

        CompletableFuture<Void> ready = broker.start(new Broker.Listener() {
            @Override
            public void onPublication(Envelope envelope) {
                hub.publish(envelope);
            }

            @Override
            public void onRecovered(Set<String> topics) {
                log.info("broker recovered: force_sync for {} topics", topics.size());
                connections.forceSync(topics); // every session, long-polling ones too
            }
        }).toCompletableFuture();
        broker.reportInstance(() -> StatsApi.snapshot(config.instanceId(), stats, hub, broker));
        try {
            ready.get(BROKER_READY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            log.warn("broker {} not ready after {}: serving anyway; /readyz answers 503 and publishes fail until it is",
                    broker.type(), BROKER_READY_TIMEOUT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            log.warn("broker {} failed to start: {}", broker.type(), e.getCause().toString());
        }
        // after the broker is up: the polling relay opens its control channel (§7 polling without sticky sessions)
        if (broker instanceof RedisBroker redis && config.socketIoAdapter() != null) {
            // §12: an unchanged Socket.IO app's broadcasts, through its own Redis adapter's channels
            AdapterIngress ingress = new AdapterIngress(hub, ByteBufAllocator.DEFAULT);
            redis.receiveSocketIoAdapter(config.socketIoAdapter(), ingress).whenComplete((ok, failure) -> {
                if (failure != null) {
                    log.warn("socket.io adapter ingress not started: {}", failure.getMessage());
                } else {
                    log.info("socket.io adapter ingress listening under key {}", config.socketIoAdapter());
                }
            });
        }
        if (broker instanceof RedisBroker redis) {
            this.control = new RedisControlChannel(redis, config.redisPrefix());
            socketIoDialect.useControlChannel(control);
            openControlBus(controlApi, control);
        }
        try {
            this.address = transport.bind(config.bind(), config.port(),
                    new HeraldChannelInitializer(routes, router, tls, requestTimeoutMillis(config)), BIND_TIMEOUT);
        } catch (RuntimeException e) {
            transport.shutdown(Duration.ofSeconds(1));
            if (authProxy != null) {
                authProxy.close();
            }
            if (control != null) {
                control.close();
            }
            broker.close();
            throw e;
        }
        log.info("Herald {} listening on {}:{} (transport {}, {}, broker {}, instance {})", version(),
                config.bind(), address.getPort(), transport.name(),
                tls == null ? "no tls" : "tls " + TlsContexts.provider(tls), broker.type(), config.instanceId());
    }

    /** §12: the control API hears the bus from now on; until Redis lets it, it keeps trying (it acts locally meanwhile). */
    private static void openControlBus(ControlApi api, ControlChannel control) {
        api.useBus(control).whenComplete((ok, failure) -> {
            if (failure != null) {
                log.warn("control API bus not open yet ({}); retrying", failure.toString());
                CompletableFuture.delayedExecutor(1, TimeUnit.SECONDS).execute(() -> openControlBus(api, control));
            }
        });
    }

    /** Starts a gateway; throws {@link ConfigException} or {@link IllegalStateException} when it cannot. */
    public static Gateway start(HeraldConfig config) {
        return new Gateway(config, Clock.systemUTC(), true);
    }

    public static Gateway start(HeraldConfig config, Clock clock) {
        return new Gateway(config, clock, true);
    }

    /**
     * Development mode (§1): {@code config} carries a secret Herald made itself, so a JWS it does not verify may still
     * be the backend's (§12: it goes to the auth proxy rather than being refused).
     */
    public static Gateway startWithGeneratedKey(HeraldConfig config) {
        return new Gateway(config, Clock.systemUTC(), false);
    }

    /** §8.4 slowloris bound: a whole request within 10 s, or the idle timeout when that is shorter. */
    static long requestTimeoutMillis(HeraldConfig config) {
        return Math.min(HeraldChannelInitializer.REQUEST_TIMEOUT_MILLIS, config.idleTimeout().toMillis());
    }

    private static Broker createBroker(HeraldConfig config) {
        if (config.broker().equals("local")) {
            // §11: positions and recovery in memory, all topics together within a quarter of the heap
            return new LocalBroker(config.historySize() == 0 ? null : new InMemoryHistory(config.historySize(),
                    config.historyTtl(), Runtime.getRuntime().maxMemory() / 4, java.time.Clock.systemUTC()));
        }
        // §11: positions and recovery in Redis, written by Herald's function library with each publish
        return new RedisBroker(config.broker(), config.redisPrefix(), config.instanceId(), config.historySize(),
                config.historyTtl());
    }

    public int port() {
        return address.getPort();
    }

    public InetSocketAddress address() {
        return address;
    }

    public Stats stats() {
        return stats;
    }

    public Hub hub() {
        return hub;
    }

    /** The per-loop registry of open connections. */
    public Connections connections() {
        return connections;
    }

    public HeraldConfig config() {
        return config;
    }

    public static String version() {
        String v = Gateway.class.getPackage().getImplementationVersion();
        return v != null ? v : "dev";
    }

    /**
     * §8.6 graceful stop: stop accepting, close every connection 1001 {@code going away} spread over
     * {@code HERALD_DRAIN}, then release the broker and the event loops.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        transport.stopAccepting();
        int open = connections.size();
        if (open > 0) {
            log.info("draining {} connections over {}", open, config.drain());
        }
        try {
            connections.closeAll(Disconnect.GOING_AWAY, config.drain())
                    .get(config.drain().toMillis() + 5_000, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            log.warn("drain did not finish in time; closing the rest");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            log.warn("drain failed: {}", e.getCause().toString());
        }
        if (control != null) {
            control.close();
        }
        if (authProxy != null) {
            authProxy.close();
        }
        broker.close();
        transport.shutdown(Duration.ofSeconds(5));
        log.info("stopped");
    }
}
