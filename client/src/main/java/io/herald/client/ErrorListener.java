package io.herald.client;

/** Receives the server's error frames (§5, §6), on the client's I/O thread; must not block. */
@FunctionalInterface
public interface ErrorListener {
    void onError(ServerError error);
}
