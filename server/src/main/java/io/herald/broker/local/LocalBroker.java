package io.herald.broker.local;

import io.herald.broker.history.History;
import io.herald.broker.history.InMemoryHistory;
import io.herald.broker.Broker;
import io.herald.hub.Envelope;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The in-process broker (§1 {@code HERALD_BROKER=local}): a publication goes straight to this instance's
 * hub on the publishing thread, so it is always connected and every subscription is confirmed at once.
 */
public final class LocalBroker implements Broker {
    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    private volatile Listener listener;
    private final InMemoryHistory history;

    /** Without history (§11 off). */
    public LocalBroker() {
        this(null);
    }

    /** With §11 positions kept in {@code history} for every topic that has them ({@link Envelope#positioned}); null for none. */
    public LocalBroker(InMemoryHistory history) {
        this.history = history;
    }

    @Override
    public History history() {
        return history;
    }

    @Override
    public CompletionStage<Void> start(Listener listener) {
        this.listener = listener;
        return DONE;
    }

    @Override
    public CompletionStage<Void> publish(Envelope envelope) {
        Listener l = listener;
        if (l == null) {
            return CompletableFuture.failedFuture(new IllegalStateException("broker not started"));
        }
        if (history != null && Envelope.positioned(envelope.topic())) {
            history.append(envelope, l::onPublication); // positioned, and handed on in offset order
        } else {
            l.onPublication(envelope);
        }
        return DONE;
    }

    @Override
    public CompletionStage<Void> firstSubscriber(String topic) {
        return DONE;
    }

    @Override
    public void lastSubscriberLeft(String topic) {
    }

    @Override
    public String type() {
        return "local";
    }

    @Override
    public boolean connected() {
        return listener != null;
    }

    @Override
    public void close() {
        listener = null;
    }
}
