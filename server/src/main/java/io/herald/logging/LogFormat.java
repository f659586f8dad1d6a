package io.herald.logging;

import java.util.Locale;

/** {@code HERALD_LOG_FORMAT} (§1): how a log line is written. */
public enum LogFormat {
    /** {@code 2026-12-02T04:06:17.123Z INFO Gateway - message}: for people. */
    TEXT,
    /** One JSON object per line (time, level, logger, message, instance, connection): for log pipelines. */
    JSON;

    /** {@code text} or {@code json}, in any case; anything else is refused. */
    public static LogFormat parse(String s) {
        switch (s.toLowerCase(Locale.ROOT)) {
            case "text": return TEXT;
            case "json": return JSON;
            default: throw new IllegalArgumentException("expected text or json");
        }
    }
}
