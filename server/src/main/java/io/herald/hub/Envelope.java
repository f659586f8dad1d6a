package io.herald.hub;

/**
 * One published event (PROTOCOL.md §3), validated.
 *
 * @param topic     where it goes
 * @param eventType {@code event_type}
 * @param data      the {@code data} value exactly as the publisher wrote it (UTF-8 JSON), or null when absent
 * @param shareId   {@code share_id}, defaulting to the id of a {@code share:} topic; may be null
 * @param deviceId  {@code device_id}, defaulting to the id of a {@code device:} topic; may be null
 */
public record Envelope(Topic topic, String eventType, byte[] data, String shareId, String deviceId) {
}
