package io.herald.client;

/**
 * An event the server pushed, as the frame carried it: no object mapping, {@code data} stays raw JSON text.
 *
 * @param type    the event type: {@code event_type} of a sync frame (§4), {@code type} of a realtime (§5) or
 *                channels (§6) frame, e.g. {@code file_created}, {@code change}, {@code force_sync}
 * @param shareId the share it concerns (sync and realtime), or null
 * @param channel the channel it was published on (channels endpoint), or null
 * @param data    the {@code data} value exactly as sent (any JSON: object, array, string, ...), or null when absent
 */
public record HeraldEvent(String type, String shareId, String channel, String data) {
    public HeraldEvent {
        if (type == null) {
            throw new IllegalArgumentException("type");
        }
    }
}
