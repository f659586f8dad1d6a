package io.herald.client;

/**
 * §11: where a client stands in a topic's history: the topic's {@code epoch} and the {@code offset} of the last event it
 * has. The client keeps one per share or channel and resumes from it ({@code since}) on each new connection, so that it
 * gets what it missed instead of a {@code force_sync}.
 */
public record Position(String epoch, long offset) {
    public Position {
        if (epoch == null || offset < 0) {
            throw new IllegalArgumentException("a position needs an epoch and an offset >= 0");
        }
    }
}
