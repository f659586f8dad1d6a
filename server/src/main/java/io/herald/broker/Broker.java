package io.herald.broker;

import io.herald.hub.Envelope;
import io.herald.hub.InterestListener;

import java.util.concurrent.CompletionStage;

/**
 * Carries publications between instances (§3, §10). The in-process {@code local} broker hands them straight
 * to the hub; a Redis broker sends them through Redis and delivers what its subscriptions receive.
 *
 * <p>A broker follows local interest: the hub calls {@link #firstSubscriber} / {@link #lastSubscriberLeft}
 * so an instance only listens to topics its own clients want.
 */
public interface Broker extends InterestListener, AutoCloseable {

    /** Where a broker delivers what reaches this instance. Called on broker threads; must not block. */
    interface Listener {
        void onPublication(Envelope envelope);

        /** The broker connection came back after a break: events may have been missed (§10). */
        void onReconnected();
    }

    /** Connects (if needed) and starts delivering to {@code listener}. */
    CompletionStage<Void> start(Listener listener);

    /** Publishes to every instance; completes once the broker has taken the event. */
    CompletionStage<Void> publish(Envelope envelope);

    /** {@code local}, {@code redis}, {@code redis-cluster}: for stats and the start-up line. */
    String type();

    /** §9 {@code /readyz}: true while publications flow. */
    boolean connected();

    @Override
    void close();
}
