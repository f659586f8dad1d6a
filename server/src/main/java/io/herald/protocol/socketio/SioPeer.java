package io.herald.protocol.socketio;

import io.herald.auth.Principal;
import io.herald.hub.Topic;
import io.herald.protocol.Disconnect;

import java.util.concurrent.CompletionStage;

/**
 * One Engine.IO session as the Socket.IO logic sees it, whatever carries it: a WebSocket connection or a
 * long-polling session (§7). Every method is called on the session's own event loop.
 */
interface SioPeer {
    SocketIoDialect.Session session();

    /** Null until authenticated (in band, §7). */
    Principal principal();

    void authenticate(Principal principal, long deadlineMillis);

    /** Queues or writes one Engine.IO packet. */
    void send(String packet);

    /** Ends the session; for WebSocket with {@code why} as the close frame. */
    void close(Disconnect why);

    boolean isClosing();

    CompletionStage<Void> subscribe(Topic topic);

    void unsubscribeAll();

    /** Runs {@code task} on the session's loop. */
    void execute(Runnable task);
}
