package io.herald.auth;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.herald.hub.EnvelopeException;
import io.herald.hub.EnvelopeParser;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.pool.AbstractChannelPoolHandler;
import io.netty.channel.pool.ChannelHealthChecker;
import io.netty.channel.pool.FixedChannelPool;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * §12 auth proxy: asks the backend at {@code HERALD_AUTH_PROXY} who a connection's credentials belong to.
 *
 * <p>Netty's HTTP client codec on the server's own event loops, with a fixed pool of at most
 * {@value #MAX_CONNECTIONS} kept-alive connections, rather than the JDK's {@code HttpClient}: the JDK client opens a
 * connection per concurrent request with no upper bound, so a reconnect storm after a restart (thousands of distinct
 * credentials at once) would become thousands of sockets to the backend; here the storm waits in the pool's queue,
 * bounded by the answer timeout. No thread of its own, and the epoll transport where the server has it.
 *
 * <p>Answers are kept in a Caffeine cache keyed by {@link Credentials#key()} (a hash, never the credentials):
 * concurrent checks of the same credentials share one call (Caffeine's in-flight future), an accepted answer is
 * reused for {@code HERALD_AUTH_PROXY_CACHE} but never past its {@code expires_at}, a refusal for
 * {@value #REFUSAL_SECONDS} s, and an outage is not kept at all (the next connect asks again).
 */
public final class AuthProxy implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AuthProxy.class);

    static final int MAX_CONNECTIONS = 64;
    static final int MAX_PENDING = 100_000;
    static final long MAX_CACHED = 100_000;
    static final long REFUSAL_SECONDS = 5;
    /** An answer past this is not one a sane backend gives: the connection is told to try again later. */
    static final int MAX_ANSWER_BYTES = 1024 * 1024;
    static final int MAX_GREETING_EVENTS = 100;

    private final URI uri;
    private final String hostHeader;
    private final String path;
    private final long timeoutMillis;
    private final long cacheNanos;
    private final Clock clock;
    private final EventLoopGroup group;
    private final FixedChannelPool pool;
    private final AsyncCache<String, Authentication> cache;
    private final JsonFactory json = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(EnvelopeParser.MAX_NESTING_DEPTH)
                    .maxNumberLength(EnvelopeParser.MAX_NUMBER_LENGTH)
                    .maxNameLength(EnvelopeParser.MAX_NAME_LENGTH).build())
            .build();
    private final LongAdder calls = new LongAdder();
    private final AtomicLong lastWarned = new AtomicLong();

    public AuthProxy(URI uri, Duration timeout, Duration cache, Clock clock, EventLoopGroup group,
                     Class<? extends Channel> channelClass) {
        this.uri = uri;
        boolean tls = "https".equalsIgnoreCase(uri.getScheme());
        int port = uri.getPort() > 0 ? uri.getPort() : tls ? 443 : 80;
        this.hostHeader = uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "");
        String p = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        this.path = uri.getRawQuery() == null ? p : p + "?" + uri.getRawQuery();
        this.timeoutMillis = timeout.toMillis();
        this.cacheNanos = cache.toNanos();
        this.clock = clock;
        this.group = group;
        SslContext ssl;
        try {
            ssl = tls ? SslContextBuilder.forClient().build() : null;
        } catch (javax.net.ssl.SSLException e) {
            throw new IllegalStateException("auth proxy: cannot set up TLS", e);
        }
        Bootstrap b = new Bootstrap().group(group).channel(channelClass)
                .remoteAddress(uri.getHost(), port)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.max(1, timeoutMillis));
        String host = uri.getHost();
        this.pool = new FixedChannelPool(b, new AbstractChannelPoolHandler() {
            @Override
            public void channelCreated(Channel ch) {
                if (ssl != null) {
                    ch.pipeline().addLast(ssl.newHandler(ch.alloc(), host, port));
                }
                ch.pipeline().addLast(new HttpClientCodec(4096, 8192, 8192), new HttpObjectAggregator(MAX_ANSWER_BYTES));
            }
        }, ChannelHealthChecker.ACTIVE, FixedChannelPool.AcquireTimeoutAction.FAIL, Math.max(1, timeoutMillis),
                MAX_CONNECTIONS, MAX_PENDING, true, true);
        this.cache = Caffeine.newBuilder()
                .maximumSize(MAX_CACHED)
                .executor(Runnable::run) // cheap upkeep on the completing thread; no common-pool hops
                .expireAfter(new Expiry<String, Authentication>() {
                    @Override
                    public long expireAfterCreate(String key, Authentication a, long now) {
                        return keepFor(a);
                    }

                    @Override
                    public long expireAfterUpdate(String key, Authentication a, long now, long current) {
                        return keepFor(a);
                    }

                    @Override
                    public long expireAfterRead(String key, Authentication a, long now, long current) {
                        return current;
                    }
                })
                .buildAsync();
    }

    /** How long an answer is reused: a refusal 5 s, an outage not at all, an acceptance until the cache or its expiry. */
    private long keepFor(Authentication a) {
        if (a.failure() == Authentication.Failure.UNAUTHORIZED) {
            return TimeUnit.SECONDS.toNanos(REFUSAL_SECONDS);
        }
        if (a.failure() != null) {
            return 0;
        }
        Instant expires = a.principal().expiresAt();
        if (expires == null) {
            return cacheNanos;
        }
        long left = Duration.between(clock.instant(), expires).toNanos();
        return Math.max(0, Math.min(cacheNanos, left));
    }

    /**
     * §12 control API: forgets every accepted answer of {@code user} (or of login session {@code session}), so a revoked
     * session cannot come straight back on a cached answer: its next connect asks the backend.
     */
    public void forget(String user, String session) {
        cache.synchronous().asMap().values().removeIf(a -> a.accepted()
                && (user == null || user.equals(a.principal().subject()))
                && (session == null || session.equals(a.principal().session())));
    }

    /** Calls made to the backend so far (a cache hit or a shared in-flight call makes none). */
    public long calls() {
        return calls.sum();
    }

    /** Who {@code c} belongs to; completes (never exceptionally) on one of the event loops. */
    public CompletableFuture<Authentication> check(Credentials c) {
        if (c.isEmpty()) {
            return CompletableFuture.completedFuture(Authentication.unauthorized("no credentials"));
        }
        if (c.token() != null && c.token().length() > Credentials.MAX_TOKEN_CHARS) {
            return CompletableFuture.completedFuture(Authentication.unauthorized("token too long"));
        }
        CompletableFuture<Authentication> answer = cache.get(c.key(), (key, executor) -> call(c));
        if (answer.isDone() && answer.join().accepted() && expired(answer.join().principal())) {
            // the cache's clock and expires_at's agree only to the millisecond: never hand out an expired answer
            return CompletableFuture.completedFuture(Authentication.unauthorized("token expired"));
        }
        return answer;
    }

    private boolean expired(Principal p) {
        return p.expiresAt() != null && !p.expiresAt().isAfter(clock.instant());
    }

    private CompletableFuture<Authentication> call(Credentials c) {
        calls.increment();
        CompletableFuture<Authentication> answer = new CompletableFuture<>();
        byte[] body;
        try {
            body = requestBody(c);
        } catch (IOException e) {
            answer.complete(Authentication.unavailable("cannot encode the request"));
            return answer;
        }
        ScheduledFuture<?> timer = group.next().schedule(
                () -> fail(answer, "auth proxy did not answer within " + timeoutMillis + " ms"),
                timeoutMillis, TimeUnit.MILLISECONDS);
        answer.whenComplete((a, t) -> timer.cancel(false));
        pool.acquire().addListener((Future<Channel> f) -> {
            if (!f.isSuccess()) {
                fail(answer, "auth proxy unreachable (" + f.cause().getClass().getSimpleName() + ")");
                return;
            }
            Channel ch = f.getNow();
            if (answer.isDone()) {
                pool.release(ch); // timed out while waiting for a connection
                return;
            }
            Exchange exchange = new Exchange(ch, answer);
            ch.pipeline().addLast(exchange);
            FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, path,
                    Unpooled.wrappedBuffer(body));
            request.headers().set(HttpHeaderNames.HOST, hostHeader)
                    .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                    .set(HttpHeaderNames.ACCEPT, HttpHeaderValues.APPLICATION_JSON)
                    .set(HttpHeaderNames.USER_AGENT, "herald")
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
            ch.writeAndFlush(request).addListener(w -> {
                if (!w.isSuccess()) {
                    exchange.end(false, Authentication.unavailable("auth proxy write failed"));
                }
            });
            // the timer may fire while the request is out: the connection then goes, its late answer with it
            answer.whenComplete((a, t) -> ch.eventLoop().execute(() -> exchange.end(false, null)));
        });
        return answer;
    }

    private void fail(CompletableFuture<Authentication> answer, String why) {
        if (answer.complete(Authentication.unavailable(why))) {
            long now = System.nanoTime();
            long last = lastWarned.get();
            if (now - last > TimeUnit.SECONDS.toNanos(10) && lastWarned.compareAndSet(last, now)) {
                log.warn("{}; connections are told to try again later (1013)", why); // at most every 10 s
            }
        }
    }

    /** One request on one pooled connection, added for it and removed after it. */
    private final class Exchange extends SimpleChannelInboundHandler<FullHttpResponse> {
        private final Channel ch;
        private final CompletableFuture<Authentication> answer;
        private boolean ended;

        Exchange(Channel ch, CompletableFuture<Authentication> answer) {
            this.ch = ch;
            this.answer = answer;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
            boolean reuse = HttpUtil.isKeepAlive(response) && !answer.isDone();
            end(reuse, interpret(response));
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            end(false, Authentication.unavailable("auth proxy closed the connection"));
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            end(false, Authentication.unavailable("auth proxy: " + cause.getClass().getSimpleName()));
        }

        /** On the connection's loop; the first call gives the connection back (kept only after a whole answer). */
        void end(boolean reuse, Authentication outcome) {
            if (ended) {
                return;
            }
            ended = true;
            if (outcome != null) {
                if (outcome.failure() == Authentication.Failure.UNAVAILABLE) {
                    fail(answer, outcome.why());
                } else {
                    answer.complete(outcome);
                }
            }
            if (ch.pipeline().context(this) != null) {
                ch.pipeline().remove(this);
            }
            if (!reuse) {
                ch.close();
            }
            pool.release(ch);
        }
    }

    private Authentication interpret(FullHttpResponse response) {
        int status = response.status().code();
        if (status == 401 || status == 403) {
            return Authentication.unauthorized("auth proxy refused (" + status + ")");
        }
        if (status != 200) {
            return Authentication.unavailable("auth proxy answered " + status);
        }
        byte[] body = new byte[response.content().readableBytes()];
        response.content().getBytes(response.content().readerIndex(), body);
        try {
            return parseAnswer(body);
        } catch (IOException | EnvelopeException | RuntimeException e) {
            return Authentication.unavailable("auth proxy answered 200 without a valid body");
        }
    }

    /** §12: {@code {"user_id", "session_id", "expires_at", "shares", "devices", "channels", "roles", "events"}}. */
    Authentication parseAnswer(byte[] body) throws IOException, EnvelopeException {
        String user = null;
        String session = null;
        Instant expires = null;
        Set<String> shares = Set.of();
        Set<String> devices = Set.of();
        Set<String> channels = Set.of();
        Set<String> roles = Set.of();
        List<Authentication.Greeting> events = List.of();
        try (JsonParser p = json.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("not an object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                if (t == JsonToken.VALUE_NULL) {
                    continue;
                }
                switch (name) {
                    case "user_id" -> user = text(p, t);
                    case "session_id" -> session = text(p, t);
                    case "expires_at" -> {
                        if (!t.isNumeric()) {
                            throw new IOException("expires_at is not a number");
                        }
                        expires = Instant.ofEpochMilli((long) (p.getDoubleValue() * 1000));
                    }
                    case "shares" -> shares = strings(p, t);
                    case "devices" -> devices = strings(p, t);
                    case "channels" -> channels = strings(p, t);
                    case "roles" -> roles = strings(p, t);
                    case "events" -> events = greeting(p, t, body);
                    default -> p.skipChildren();
                }
            }
        }
        if (user == null || user.isEmpty()) {
            throw new IOException("no user_id");
        }
        if (expires != null && !expires.isAfter(clock.instant())) {
            return Authentication.unauthorized("expired per the auth proxy");
        }
        return Authentication.accepted(new Principal(user, expires, shares, devices, new ArrayList<>(channels), roles,
                session == null || session.isEmpty() ? null : session), events);
    }

    private static String text(JsonParser p, JsonToken t) throws IOException {
        if (t != JsonToken.VALUE_STRING) {
            throw new IOException("not a string");
        }
        return p.getText();
    }

    private static Set<String> strings(JsonParser p, JsonToken t) throws IOException {
        if (t != JsonToken.START_ARRAY) {
            throw new IOException("not an array");
        }
        Set<String> out = new LinkedHashSet<>();
        for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
            out.add(text(p, e));
        }
        return out;
    }

    private static List<Authentication.Greeting> greeting(JsonParser p, JsonToken t, byte[] body)
            throws IOException, EnvelopeException {
        if (t != JsonToken.START_ARRAY) {
            throw new IOException("events is not an array");
        }
        List<Authentication.Greeting> out = new ArrayList<>();
        for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
            if (e != JsonToken.START_OBJECT || out.size() >= MAX_GREETING_EVENTS) {
                throw new IOException("bad events entry");
            }
            String type = null;
            byte[] data = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                if ("event_type".equals(name)) {
                    type = text(p, v);
                } else if ("data".equals(name)) {
                    data = EnvelopeParser.raw(p, body);
                } else {
                    p.skipChildren();
                }
            }
            if (type == null || type.isEmpty() || type.length() > EnvelopeParser.MAX_EVENT_TYPE) {
                throw new IOException("bad event_type");
            }
            out.add(new Authentication.Greeting(type, data));
        }
        return out;
    }

    private byte[] requestBody(Credentials c) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = json.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("endpoint", c.endpoint());
            if (c.token() != null) {
                g.writeStringField("token", c.token());
            }
            g.writeObjectFieldStart("headers");
            for (Map.Entry<String, String> h : c.headers().entrySet()) {
                g.writeStringField(h.getKey(), h.getValue());
            }
            g.writeEndObject();
            if (c.remoteAddr() != null) {
                g.writeStringField("remote_addr", c.remoteAddr());
            }
            g.writeEndObject();
        }
        return out.toByteArray();
    }

    @Override
    public void close() {
        pool.closeAsync();
    }

    @Override
    public String toString() {
        return "AuthProxy[" + uri.getScheme() + "://" + hostHeader + "]";
    }
}
