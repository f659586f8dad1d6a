package io.herald.config;

/** A configuration problem, told in one line that names the key. No stack trace is ever shown for it. */
public final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message, null, false, false);
    }
}
