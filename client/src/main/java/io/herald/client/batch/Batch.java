package io.herald.client.batch;

import io.herald.client.HeraldEvent;

import java.util.List;

/**
 * Events handed over together by a {@link PendingChangesBatcher}, in arrival order.
 *
 * @param kind   which lane they waited in
 * @param events at least one
 */
public record Batch(Kind kind, List<HeraldEvent> events) {
    public enum Kind {
        /** Ordinary changes: handed over after a short quiet period. */
        CHANGES,
        /** Upload-like events: handed over in longer windows, to coalesce bursts of uploads. */
        UPLOADS
    }

    public Batch {
        events = List.copyOf(events);
    }
}
