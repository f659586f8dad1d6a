package io.herald.config;

import java.util.Locale;

/**
 * Every configuration key of PROTOCOL.md §1, with its environment name and default.
 * A key is written {@code HERALD_SEND_BUFFER} in the environment and in a config file,
 * {@code --send-buffer=...} as a flag (a file may also use the flag spelling).
 */
public enum ConfigKey {
    BIND("0.0.0.0"),
    PORT("8080"),
    JWT_SECRET(null),
    JWT_PUBLIC_KEY(null),
    JWT_ISSUER(null),
    JWT_AUDIENCE(null),
    JWT_LEEWAY("5s"),
    BROKER("local"),
    REDIS_PREFIX("herald:"),
    INSTANCE_ID(null),
    SEND_BUFFER("1000"),
    IDLE_TIMEOUT("90s"),
    MAX_FRAME("65536"),
    ALLOWED_ORIGINS(null),
    TLS_CERT(null),
    TLS_KEY(null),
    DRAIN("10s"),
    MAX_CONNECTIONS("0"),
    SOCKETIO_CONFORMANCE("false"),
    HISTORY_SIZE("100"),
    HISTORY_TTL("2m"),
    SOCKETIO_RECOVERY("false"),
    AUTH_PROXY(null),
    AUTH_PROXY_HEADERS("authorization,cookie,x-immich-user-token,x-immich-session-token,x-api-key"),
    AUTH_PROXY_TIMEOUT("2s"),
    AUTH_PROXY_CACHE("30s"),
    SOCKETIO_ADAPTER(null),
    COMPRESSION("on"),
    LOG_FORMAT("text");

    private final String defaultValue;
    private final String envName;
    private final String flagName;

    ConfigKey(String defaultValue) {
        this.defaultValue = defaultValue;
        this.envName = "HERALD_" + name();
        this.flagName = name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public String envName() {
        return envName;
    }

    public String flagName() {
        return flagName;
    }

    /** The default, or null when the key has none. */
    public String defaultValue() {
        return defaultValue;
    }

    /** Accepts {@code HERALD_SEND_BUFFER}, {@code send-buffer} or {@code send_buffer}; null when unknown. */
    public static ConfigKey lookup(String name) {
        String n = name.trim();
        if (n.regionMatches(true, 0, "HERALD_", 0, 7)) {
            n = n.substring(7);
        }
        n = n.toUpperCase(Locale.ROOT).replace('-', '_');
        for (ConfigKey k : values()) {
            if (k.name().equals(n)) {
                return k;
            }
        }
        return null;
    }
}
