package io.herald.bench.peers;

/**
 * One event of a publish request as the peers read it: Herald's §3 envelope fields, without Herald's topic
 * rules (a peer accepts any non-empty topic name, the way a Socket.IO room takes any string).
 *
 * @param topic     the room / topic
 * @param eventType {@code event_type}
 * @param shareId   {@code share_id}, defaulting to the id of a {@code share:} topic; may be null
 * @param data      the raw JSON of {@code data} as published, or null when absent
 */
public record PeerEvent(String topic, String eventType, String shareId, byte[] data) {
}
