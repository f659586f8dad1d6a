package io.herald.hub;

import java.util.concurrent.CompletionStage;

/**
 * Told when this instance gains its first subscriber to a topic, and when the last one leaves, so a broker
 * can follow local interest. Calls for one topic are serialized and must not block.
 */
public interface InterestListener {
    /** Completes when events of {@code topic} are sure to reach this instance (§3 "subscribed is a promise"). */
    CompletionStage<Void> firstSubscriber(String topic);

    void lastSubscriberLeft(String topic);
}
