package io.herald.client;

/** Told about every {@link ConnectionState} change, on the client's I/O thread; must not block. */
@FunctionalInterface
public interface StateListener {
    void onStateChange(StateChange change);
}
