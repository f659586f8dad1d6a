package io.herald.config;

import io.herald.logging.LogFormat;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Herald's whole configuration (PROTOCOL.md §1), immutable and validated on construction.
 * Build it with {@link ConfigLoader} from environment, file and flags, or with {@link #builder()} in tests.
 */
public record HeraldConfig(
        String bind,
        int port,
        String jwtSecret,
        Path jwtPublicKey,
        String jwtIssuer,
        String jwtAudience,
        Duration jwtLeeway,
        String broker,
        String redisPrefix,
        String instanceId,
        int sendBuffer,
        Duration idleTimeout,
        int maxFrame,
        List<String> allowedOrigins,
        Path tlsCert,
        Path tlsKey,
        Duration drain,
        int maxConnections,
        boolean socketIoConformance,
        int historySize,
        Duration historyTtl,
        boolean socketIoRecovery,
        java.net.URI authProxy,
        List<String> authProxyHeaders,
        Duration authProxyTimeout,
        Duration authProxyCache,
        String socketIoAdapter,
        boolean compression,
        LogFormat logFormat) {

    /** §1: an HMAC secret shorter than this is refused (HS256 needs 256 bits). */
    public static final int MIN_SECRET_BYTES = 32;
    /** Durations are used in milliseconds (timers, {@code toMillis()}); a year is far beyond any sensible value. */
    private static final Duration MAX_DURATION = Duration.ofDays(365);

    public HeraldConfig {
        require(bind != null && !bind.isBlank(), ConfigKey.BIND, "must not be empty");
        require(port >= 0 && port <= 65535, ConfigKey.PORT, "must be 0..65535");
        if (jwtSecret != null) {
            require(jwtSecret.getBytes(StandardCharsets.UTF_8).length >= MIN_SECRET_BYTES, ConfigKey.JWT_SECRET,
                    "must be at least " + MIN_SECRET_BYTES + " bytes");
            require(jwtPublicKey == null, ConfigKey.JWT_PUBLIC_KEY, "set either a secret or a public key, not both");
        }
        if (jwtPublicKey != null) {
            require(Files.isReadable(jwtPublicKey), ConfigKey.JWT_PUBLIC_KEY, "file not readable");
        }
        require(jwtLeeway != null && !jwtLeeway.isNegative() && jwtLeeway.toSeconds() <= 3600,
                ConfigKey.JWT_LEEWAY, "must be between 0s and 1h");
        require(broker != null && (broker.equals("local") || broker.startsWith("redis://")
                || broker.startsWith("rediss://") || broker.startsWith("redis-cluster://")),
                ConfigKey.BROKER, "must be local, redis://host:port or redis-cluster://host:port,...");
        require(redisPrefix != null, ConfigKey.REDIS_PREFIX, "must be set");
        if (instanceId == null || instanceId.isBlank()) {
            instanceId = defaultInstanceId();
        }
        require(sendBuffer >= 1, ConfigKey.SEND_BUFFER, "must be at least 1");
        require(idleTimeout != null && idleTimeout.compareTo(Duration.ofMillis(1)) >= 0
                && idleTimeout.compareTo(MAX_DURATION) <= 0, ConfigKey.IDLE_TIMEOUT, "must be between 1ms and 365d");
        require(maxFrame >= 125 && maxFrame <= 64 * 1024 * 1024, ConfigKey.MAX_FRAME, "must be 125..67108864");
        allowedOrigins = allowedOrigins == null ? List.of() : List.copyOf(allowedOrigins);
        require((tlsCert == null) == (tlsKey == null), ConfigKey.TLS_KEY,
                "HERALD_TLS_CERT and HERALD_TLS_KEY go together");
        require(drain != null && !drain.isNegative() && drain.compareTo(MAX_DURATION) <= 0, ConfigKey.DRAIN,
                "must be between 0s and 365d");
        require(maxConnections >= 0, ConfigKey.MAX_CONNECTIONS, "must be 0 (no cap) or more");
        require(historySize >= 0 && historySize <= 100_000, ConfigKey.HISTORY_SIZE, "must be 0 (off) to 100000");
        require(historyTtl != null && historyTtl.compareTo(Duration.ofSeconds(1)) >= 0
                && historyTtl.compareTo(Duration.ofDays(1)) <= 0, ConfigKey.HISTORY_TTL, "must be between 1s and 1d");
        if (authProxy != null) {
            require(("http".equalsIgnoreCase(authProxy.getScheme()) || "https".equalsIgnoreCase(authProxy.getScheme()))
                    && authProxy.getHost() != null, ConfigKey.AUTH_PROXY, "must be an http:// or https:// URL");
        }
        authProxyHeaders = authProxyHeaders == null ? List.of()
                : authProxyHeaders.stream().map(h -> h.toLowerCase(java.util.Locale.ROOT)).distinct().toList();
        require(authProxyTimeout != null && authProxyTimeout.compareTo(Duration.ofMillis(10)) >= 0
                && authProxyTimeout.compareTo(Duration.ofMinutes(1)) <= 0, ConfigKey.AUTH_PROXY_TIMEOUT,
                "must be between 10ms and 1m");
        require(authProxyCache != null && !authProxyCache.isNegative() && authProxyCache.compareTo(Duration.ofDays(1)) <= 0,
                ConfigKey.AUTH_PROXY_CACHE, "must be between 0s and 1d");
        if (socketIoAdapter != null) {
            require(!socketIoAdapter.isEmpty() && socketIoAdapter.length() <= 200
                    && socketIoAdapter.chars().noneMatch(ch -> ch == '#' || ch < 0x21 || ch > 0x7e),
                    ConfigKey.SOCKETIO_ADAPTER, "must be a key prefix such as socket.io (no '#', no spaces)");
            require(!broker.equals("local"), ConfigKey.SOCKETIO_ADAPTER, "needs a Redis broker");
        }
        require(logFormat != null, ConfigKey.LOG_FORMAT, "must be text or json");
        require(!socketIoConformance || isLoopback(bind), ConfigKey.SOCKETIO_CONFORMANCE,
                "the test profile runs only with a loopback HERALD_BIND (127.0.0.1, ::1 or localhost)");
    }

    private static boolean isLoopback(String bind) {
        try {
            return InetAddress.getByName(bind).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** §1: with no key configured Herald runs in development mode with a random secret. */
    public boolean developmentMode() {
        return jwtSecret == null && jwtPublicKey == null;
    }

    public HeraldConfig withJwtSecret(String secret) {
        return new HeraldConfig(bind, port, secret, jwtPublicKey, jwtIssuer, jwtAudience, jwtLeeway, broker,
                redisPrefix, instanceId, sendBuffer, idleTimeout, maxFrame, allowedOrigins, tlsCert, tlsKey, drain,
                maxConnections, socketIoConformance, historySize, historyTtl, socketIoRecovery, authProxy,
                authProxyHeaders, authProxyTimeout, authProxyCache, socketIoAdapter, compression, logFormat);
    }

    public static Builder builder() {
        return new Builder();
    }

    private static void require(boolean ok, ConfigKey key, String why) {
        if (!ok) {
            throw new ConfigException(key.envName() + ": " + why);
        }
    }

    private static String defaultInstanceId() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "herald";
        }
        return host + "-" + ProcessHandle.current().pid();
    }

    /** Test and embedding convenience: every field starts at its §1 default. */
    public static final class Builder {
        private final java.util.EnumMap<ConfigKey, String> values = new java.util.EnumMap<>(ConfigKey.class);

        public Builder set(ConfigKey key, String value) {
            values.put(key, value);
            return this;
        }

        public Builder port(int port) {
            return set(ConfigKey.PORT, Integer.toString(port));
        }

        public Builder jwtSecret(String secret) {
            return set(ConfigKey.JWT_SECRET, secret);
        }

        public HeraldConfig build() {
            return ConfigLoader.fromValues(values);
        }
    }
}
