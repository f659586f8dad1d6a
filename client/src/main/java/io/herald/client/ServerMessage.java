package io.herald.client;

import java.util.List;

/**
 * A server frame after decoding ({@link ServerFrameDecoder}): what the dialect made of it. No buffers inside,
 * so nothing past the decoder has anything to release.
 */
sealed interface ServerMessage {
    /** Realtime / channels greeting (§5, §6): the token was accepted. */
    record Connected() implements ServerMessage {
    }

    /**
     * Subscription confirmed: one share or channel, or a sync device's shares (§4); with history, where each
     * stands (§11; empty without).
     */
    record Subscribed(List<String> targets, String id, java.util.Map<String, Position> positions) implements ServerMessage {
        Subscribed(List<String> targets, String id) {
            this(targets, id, java.util.Map.of());
        }
    }

    record Unsubscribed(String target, String id) implements ServerMessage {
    }

    /** The answer to the dialect's JSON ping. */
    record Pong() implements ServerMessage {
    }

    /** §6 {@code refreshed}. */
    record Refreshed(String id) implements ServerMessage {
    }

    record Error(ServerError error) implements ServerMessage {
    }

    /**
     * An event; {@code offset} its position in its share's or channel's history (§11), 0 without one; a
     * {@code force_sync}'s {@code resumeFrom} is the position delivery goes on from, or null.
     */
    record Event(HeraldEvent event, long offset, Position resumeFrom) implements ServerMessage {
        Event(HeraldEvent event) {
            this(event, 0, null);
        }
    }

    /** The server's close frame (RFC 6455 §5.5.1); {@code code} is -1 when it carried none. */
    record Close(int code, String reason) implements ServerMessage {
    }

    Connected CONNECTED = new Connected();
    Pong PONG = new Pong();
}
