package io.herald.client.time;

/**
 * A monotonic time source in nanoseconds, like {@link System#nanoTime()}: only differences mean anything.
 * Injected wherever timing decisions are made, so tests can drive virtual time.
 */
@FunctionalInterface
public interface Ticker {
    long nanoTime();

    static Ticker system() {
        return System::nanoTime;
    }
}
