package io.herald.hub;

/**
 * One published event (PROTOCOL.md §3), validated.
 *
 * @param topic     where it goes
 * @param eventType {@code event_type}
 * @param data      the {@code data} value exactly as the publisher wrote it (UTF-8 JSON), or null when absent
 * @param shareId   {@code share_id}, defaulting to the id of a {@code share:} topic; may be null
 * @param deviceId  {@code device_id}, defaulting to the id of a {@code device:} topic; may be null
 * @param offset    §11: the event's offset in its topic's history, or 0 when it has none (no history, or a topic
 *                  without positions)
 * @param epoch     §11: the epoch {@code offset} counts in, or null without one
 */
public record Envelope(Topic topic, String eventType, byte[] data, String shareId, String deviceId, long offset,
                       String epoch) {

    /** An event as published, before the history gave it a position. */
    public Envelope(Topic topic, String eventType, byte[] data, String shareId, String deviceId) {
        this(topic, eventType, data, shareId, deviceId, 0, null);
    }

    /** This event at {@code offset} of its topic's history {@code epoch} (§11). */
    public Envelope at(String epoch, long offset) {
        return new Envelope(topic, eventType, data, shareId, deviceId, offset, epoch);
    }

    /**
     * §11: the topics with a history: those the JSON dialects resume by position ({@code share:}, {@code channel:})
     * and those a Socket.IO session recovers ({@code user:}, {@code broadcast}). Only {@code device:} has none.
     */
    public static boolean positioned(Topic topic) {
        return topic.kind() != Topic.Kind.DEVICE;
    }
}
