package io.herald.client;

/** Receives every event the server pushes, in arrival order, on the client's I/O thread; must not block. */
@FunctionalInterface
public interface EventListener {
    void onEvent(HeraldEvent event);
}
