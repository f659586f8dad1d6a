package io.herald.client;

/** Completes a pending {@code connect()} when the client stopped first: closed, or gave up on refused credentials. */
public final class ClientStoppedException extends RuntimeException {
    private final transient Disconnect disconnect;

    ClientStoppedException(Disconnect disconnect) {
        super(disconnect.kind() + " " + disconnect.closeCode() + " " + disconnect.reason(), null, false, false);
        this.disconnect = disconnect;
    }

    public Disconnect disconnect() {
        return disconnect;
    }
}
