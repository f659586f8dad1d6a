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

    /** Subscription confirmed: one share or channel, or a sync device's shares (§4). */
    record Subscribed(List<String> targets, String id) implements ServerMessage {
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

    record Event(HeraldEvent event) implements ServerMessage {
    }

    /** The server's close frame (RFC 6455 §5.5.1); {@code code} is -1 when it carried none. */
    record Close(int code, String reason) implements ServerMessage {
    }

    Connected CONNECTED = new Connected();
    Pong PONG = new Pong();
}
