package io.herald.client;

import java.util.List;

/**
 * Told when the server confirms subscriptions, including the re-subscriptions after a reconnect. Per §3 every
 * event published after a confirmation reaches the connection.
 */
@FunctionalInterface
public interface SubscriptionListener {
    /**
     * @param targets realtime: the one share; channels: the one channel; sync: every share of the token
     *                ({@code subscribed.shares}, possibly empty)
     */
    void onSubscribed(List<String> targets);

    /** The server ended a subscription: the answer to {@code unsubscribe}, or §6 after a {@code refresh}. */
    default void onUnsubscribed(String target) {
    }
}
