package io.herald.broker;

import io.herald.hub.Envelope;
import io.herald.hub.InterestListener;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

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

        /**
         * The broker connection came back after a break (or a cluster topic moved) and these topics are
         * subscribed again: their events may have been missed meanwhile (§10).
         */
        void onRecovered(Set<String> topics);
    }

    /** Connects (if needed) and starts delivering to {@code listener}. */
    CompletionStage<Void> start(Listener listener);

    /** Publishes to every instance; completes once the broker has taken the event. */
    CompletionStage<Void> publish(Envelope envelope);

    /** {@code local}, {@code redis}, {@code redis-cluster}: for stats and the start-up line. */
    String type();

    /** §9 {@code /readyz}: true while publications flow. */
    boolean connected();

    /** §9 cluster stats: the broker keeps publishing this instance's figures (a JSON object) for the others. */
    default void reportInstance(Supplier<byte[]> snapshot) {
    }

    /**
     * §9 {@code ?scope=cluster}: the latest figures of every live instance, as each wrote them, or null when
     * this broker has no cluster (the local broker): the caller then reports this instance alone.
     */
    default CompletionStage<List<byte[]>> instanceReports() {
        return null;
    }

    /** §11: the history this broker keeps positions in, or null when it keeps none. */
    default io.herald.broker.history.History history() {
        return null;
    }

    @Override
    void close();
}
