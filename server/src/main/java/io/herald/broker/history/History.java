package io.herald.broker.history;

import io.herald.hub.Envelope;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * §11: the recent events of every topic, each with its position, so that a client resumes instead of resyncing.
 * A topic's position is an {@code epoch} (a string naming one unbroken history of it) and an {@code offset} (its
 * events counted, one more per event, no gaps). When a topic's history is lost, its epoch changes.
 *
 * <p>Thread-safe: publications append from broker threads while connections recover on event loops. Reads answer
 * with a stage: at once in memory, after a round trip with Redis. Appending is the broker's business (it must be
 * atomic with the publish), so it is not part of this interface.
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

    /**
     * Where {@code topic} stands as far as this instance knows without asking anyone (the last position it kept or
     * saw), or null when it knows none. Never blocks: for frames made on an event loop.
     */
    Position latest(String topic);

    /**
     * Where {@code topic} stands now: a new epoch at offset 0 for a topic with no history, which the history then
     * keeps, so that a position named to a client stays the topic's until its history is lost.
     */
    CompletionStage<Position> position(String topic);

    /** The events of {@code topic} after {@code since}, if the history still holds every one of them. */
    CompletionStage<Recovery> recover(String topic, Position since);
}
