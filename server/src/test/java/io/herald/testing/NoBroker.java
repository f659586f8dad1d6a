package io.herald.testing;

import io.herald.hub.InterestListener;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** Interest that goes nowhere: every topic is ready at once, as with a broker that is always there. */
public final class NoBroker implements InterestListener {
    public static final NoBroker INTEREST = new NoBroker();

    private NoBroker() {
    }

    @Override
    public CompletionStage<Void> firstSubscriber(String topic) {
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public void lastSubscriberLeft(String topic) {
    }
}
