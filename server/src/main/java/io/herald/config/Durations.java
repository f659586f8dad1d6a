package io.herald.config;

import java.time.Duration;

/** Parses durations such as {@code 90s}, {@code 500ms}, {@code 1h}, {@code 2m}, {@code 1d}; a bare number is seconds. */
public final class Durations {
    private Durations() {
    }

    public static Duration parse(String text) {
        String s = text.trim();
        int i = 0;
        while (i < s.length() && Character.isDigit(s.charAt(i))) {
            i++;
        }
        if (i == 0 || i > 12) {
            throw new IllegalArgumentException("expected a duration such as 90s, 500ms, 1h");
        }
        long n = Long.parseLong(s.substring(0, i));
        String unit = s.substring(i).trim();
        switch (unit) {
            case "ms": return Duration.ofMillis(n);
            case "":
            case "s": return Duration.ofSeconds(n);
            case "m": return Duration.ofMinutes(n);
            case "h": return Duration.ofHours(n);
            case "d": return Duration.ofDays(n);
            default: throw new IllegalArgumentException("expected a duration such as 90s, 500ms, 1h");
        }
    }

    /** The shortest spelling that {@link #parse} reads back. */
    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms % 3_600_000 == 0 && ms != 0) return (ms / 3_600_000) + "h";
        if (ms % 60_000 == 0 && ms != 0) return (ms / 60_000) + "m";
        if (ms % 1000 == 0) return (ms / 1000) + "s";
        return ms + "ms";
    }
}
