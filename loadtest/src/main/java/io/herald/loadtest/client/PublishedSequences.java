package io.herald.loadtest.client;

/**
 * What the publisher has started to send, so a client can tell which events §3 promises it. An event whose
 * publish began after the client received {@code subscribed} must reach it; so the first event a fresh
 * subscription sees may be at most {@code lastSent(topic) + 1}, read when {@code subscribed} arrived.
 */
@FunctionalInterface
public interface PublishedSequences {
    PublishedSequences NONE = topic -> 0;

    /** The highest sequence number of {@code topic} whose publish request has begun; 0 before any. */
    long lastSent(int topic);
}
