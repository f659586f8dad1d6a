package io.herald.protocol.socketio;

import io.herald.protocol.Transport;
import io.netty.buffer.ByteBuf;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The Engine.IO/Socket.IO state of one connection (§7), whichever transport carries it: the Socket.IO dialect's
 * typed per-connection state. Touched on the connection's loop, except {@link #subject}.
 */
final class SioState {
    /** The Engine.IO session id: names a long-polling session to any instance (its prefix is the owner's tag). */
    final String sid;
    final long openedNanos = System.nanoTime();
    /** When the next ping is due; while one is outstanding, when it was due (pingTimeout counts from there). */
    long nextPingNanos;
    /** A ping went out and its pong has not come. */
    boolean pingOutstanding;
    /** Namespaces the client is connected to. */
    final Set<String> namespaces = new HashSet<>(2);
    /** Binary attachments still to come (and to be dropped) for a binary packet we refused. */
    int attachmentsToDrop;
    /** §7 profile: a binary event waiting for its attachments, and those received so far. */
    SioPacket binaryEvent;
    List<ByteBuf> attachments;
    /** The long-polling transport while the session is on it (until an upgrade), else null. */
    PollingTransport polling;
    /** A WebSocket probing an upgrade of this long-polling session (§7), until the client's {@code 5}. */
    Transport probe;
    long probeSinceNanos;
    /** The probe's {@code 2probe} came (and was answered): only the {@code 5} may follow. */
    boolean probed;
    /** §11 connection state recovery, for a client that asked (or all): its positions; null otherwise. */
    SioRecovery recovery;
    /** §12: a CONNECT is waiting for the auth proxy's answer. */
    boolean authenticating;
    /**
     * The user, once known: volatile, since a polling request on another loop compares its credentials with it (§7).
     */
    volatile String subject;

    SioState(String sid) {
        this.sid = sid;
    }

    void dropAttachments() {
        if (attachments != null) {
            attachments.forEach(ByteBuf::release);
            attachments = null;
            binaryEvent = null;
        }
    }
}
