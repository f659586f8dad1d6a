package io.herald.broker.history;

import io.herald.hub.Envelope;

import java.util.List;

/**
 * §11: the recent events of every topic, each with its position, so that a client resumes instead of resyncing.
 * A topic's position is an {@code epoch} (a string naming one unbroken history of it) and an {@code offset} (its
 * events counted, one more per event, no gaps). When a topic's history is lost, its epoch changes.
 *
 * <p>Thread-safe: publications append from broker threads while connections recover on event loops.
 */
public interface History {

    /** Where a topic stands: after {@code offset} events of {@code epoch}; offset 0 before the first. */
    record Position(String epoch, long offset) {
    }

    /** One kept event and its offset. */
    record Entry(long offset, Envelope envelope) {
    }

    /**
     * What a resume from a position gets.
     *
     * @param recovered true when every event after the asked position is here ({@code events}, in order, possibly
     *                  none); false when the history does not cover the gap (another epoch, trimmed, expired)
     * @param position  where the topic stands now: after {@code events} when recovered
     * @param events    the missed events, oldest first; empty when not recovered
     */
    record Recovery(boolean recovered, Position position, List<Entry> events) {
    }

    /** Keeps {@code e} as its topic's next event and returns its position (epoch and the event's offset). */
    default Position append(Envelope e) {
        return append(e, positioned -> { });
    }

    /**
     * Keeps {@code e} as its topic's next event and hands it, with its offset, to {@code deliver} before any later
     * event of the topic is appended: deliveries of one topic happen in offset order, whatever thread publishes.
     * {@code deliver} must not block.
     */
    Position append(Envelope e, java.util.function.Consumer<Envelope> deliver);

    /** Where {@code topic} stands now (a new epoch at offset 0 for a topic with no history). */
    Position position(String topic);

    /** The events of {@code topic} after {@code since}, if the history still holds every one of them. */
    Recovery recover(String topic, Position since);
}
