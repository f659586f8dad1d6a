package io.herald.client;

import io.netty.handler.ssl.SslContext;

import java.time.Duration;
import java.util.Objects;

/**
 * Immutable settings of a {@link HeraldClient}, validated on construction. Start from {@link #builder()} (every
 * value at its {@code DEFAULT_*}) or {@link #mutate()} an existing one.
 *
 * <p>Reconnect backoff: attempt {@code n} (0-based, counting attempts since the last good connection) waits
 * {@code min(reconnectBaseDelay * 2^n, reconnectMaxDelay)}, plus a random extra of up to
 * {@code reconnectJitter} times that, so clients dropped together by a restart (§8.6) do not return as one wave.
 */
public final class ClientOptions {
    /** §8.1: the server closes a connection silent for {@code HERALD_IDLE_TIMEOUT} (90 s by default). */
    public static final Duration DEFAULT_PING_INTERVAL = Duration.ofSeconds(30);
    public static final Duration DEFAULT_PONG_TIMEOUT = Duration.ofSeconds(30);
    public static final Duration DEFAULT_RECONNECT_BASE_DELAY = Duration.ofSeconds(1);
    public static final Duration DEFAULT_RECONNECT_MAX_DELAY = Duration.ofSeconds(30);
    public static final double DEFAULT_RECONNECT_JITTER = 0.2;
    /** For TCP connect and for the WebSocket upgrade, each. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** §3: an envelope is at most 1 MiB; its frame adds a little. */
    public static final int DEFAULT_MAX_MESSAGE_BYTES = 2 * 1024 * 1024;
    public static final boolean DEFAULT_AUTO_RECONNECT = true;

    private final Duration pingInterval;
    private final Duration pongTimeout;
    private final Duration reconnectBaseDelay;
    private final Duration reconnectMaxDelay;
    private final double reconnectJitter;
    private final Duration connectTimeout;
    private final int maxMessageBytes;
    private final boolean autoReconnect;
    private final SslContext sslContext;

    private ClientOptions(Builder b) {
        this.pingInterval = positive(b.pingInterval, "pingInterval");
        this.pongTimeout = positive(b.pongTimeout, "pongTimeout");
        this.reconnectBaseDelay = positive(b.reconnectBaseDelay, "reconnectBaseDelay");
        this.reconnectMaxDelay = positive(b.reconnectMaxDelay, "reconnectMaxDelay");
        if (reconnectMaxDelay.compareTo(reconnectBaseDelay) < 0) {
            throw new IllegalArgumentException("reconnectMaxDelay " + reconnectMaxDelay
                    + " is shorter than reconnectBaseDelay " + reconnectBaseDelay);
        }
        if (!(b.reconnectJitter >= 0 && b.reconnectJitter <= 1)) {
            throw new IllegalArgumentException("reconnectJitter must be within 0..1, was " + b.reconnectJitter);
        }
        this.reconnectJitter = b.reconnectJitter;
        this.connectTimeout = positive(b.connectTimeout, "connectTimeout");
        if (connectTimeout.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("connectTimeout too long: " + connectTimeout);
        }
        if (b.maxMessageBytes < 125) {
            throw new IllegalArgumentException("maxMessageBytes must be at least 125, was " + b.maxMessageBytes);
        }
        this.maxMessageBytes = b.maxMessageBytes;
        this.autoReconnect = b.autoReconnect;
        this.sslContext = b.sslContext;
    }

    private static Duration positive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero() || d.compareTo(Duration.ofDays(365)) > 0) {
            throw new IllegalArgumentException(name + " must be positive and at most 365 days, was " + d);
        }
        return d;
    }

    /** Every option at its default. */
    public static ClientOptions create() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these values. */
    public Builder mutate() {
        Builder b = new Builder();
        b.pingInterval = pingInterval;
        b.pongTimeout = pongTimeout;
        b.reconnectBaseDelay = reconnectBaseDelay;
        b.reconnectMaxDelay = reconnectMaxDelay;
        b.reconnectJitter = reconnectJitter;
        b.connectTimeout = connectTimeout;
        b.maxMessageBytes = maxMessageBytes;
        b.autoReconnect = autoReconnect;
        b.sslContext = sslContext;
        return b;
    }

    /** How often the client sends its dialect's JSON ping (§4, §5, §6). */
    public Duration pingInterval() {
        return pingInterval;
    }

    /** How long a ping may stay unanswered before the client drops the connection and reconnects. */
    public Duration pongTimeout() {
        return pongTimeout;
    }

    public Duration reconnectBaseDelay() {
        return reconnectBaseDelay;
    }

    public Duration reconnectMaxDelay() {
        return reconnectMaxDelay;
    }

    /** The random extra added to each backoff delay, as a fraction of it (0 = none). */
    public double reconnectJitter() {
        return reconnectJitter;
    }

    public Duration connectTimeout() {
        return connectTimeout;
    }

    public int maxMessageBytes() {
        return maxMessageBytes;
    }

    /** False: a lost connection goes DISCONNECTED instead of RECONNECTING. */
    public boolean autoReconnect() {
        return autoReconnect;
    }

    /** For {@code wss://}; null means the JDK's default trust. */
    public SslContext sslContext() {
        return sslContext;
    }

    @Override
    public String toString() {
        return "ClientOptions{ping " + pingInterval + ", pong timeout " + pongTimeout + ", backoff "
                + reconnectBaseDelay + ".." + reconnectMaxDelay + " +" + reconnectJitter + ", connect timeout "
                + connectTimeout + ", max message " + maxMessageBytes + ", auto reconnect " + autoReconnect + "}";
    }

    public static final class Builder {
        private Duration pingInterval = DEFAULT_PING_INTERVAL;
        private Duration pongTimeout = DEFAULT_PONG_TIMEOUT;
        private Duration reconnectBaseDelay = DEFAULT_RECONNECT_BASE_DELAY;
        private Duration reconnectMaxDelay = DEFAULT_RECONNECT_MAX_DELAY;
        private double reconnectJitter = DEFAULT_RECONNECT_JITTER;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private int maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES;
        private boolean autoReconnect = DEFAULT_AUTO_RECONNECT;
        private SslContext sslContext;

        private Builder() {
        }

        public Builder pingInterval(Duration pingInterval) {
            this.pingInterval = pingInterval;
            return this;
        }

        public Builder pongTimeout(Duration pongTimeout) {
            this.pongTimeout = pongTimeout;
            return this;
        }

        public Builder reconnectBaseDelay(Duration reconnectBaseDelay) {
            this.reconnectBaseDelay = reconnectBaseDelay;
            return this;
        }

        public Builder reconnectMaxDelay(Duration reconnectMaxDelay) {
            this.reconnectMaxDelay = reconnectMaxDelay;
            return this;
        }

        public Builder reconnectJitter(double reconnectJitter) {
            this.reconnectJitter = reconnectJitter;
            return this;
        }

        public Builder connectTimeout(Duration connectTimeout) {
            this.connectTimeout = connectTimeout;
            return this;
        }

        public Builder maxMessageBytes(int maxMessageBytes) {
            this.maxMessageBytes = maxMessageBytes;
            return this;
        }

        public Builder autoReconnect(boolean autoReconnect) {
            this.autoReconnect = autoReconnect;
            return this;
        }

        public Builder sslContext(SslContext sslContext) {
            this.sslContext = sslContext;
            return this;
        }

        /** Validates; throws {@link IllegalArgumentException} naming the bad option. */
        public ClientOptions build() {
            return new ClientOptions(this);
        }
    }
}
