package io.herald.loadtest.client;

/** What a control frame (one that is not an event) means to a client. */
public enum Inbound {
    /** The subscription is confirmed (§4/§5 {@code subscribed}, Socket.IO {@code 40{"sid":...}}). */
    SUBSCRIBED,
    /** §8.3: events of the topic were dropped; the next sequence number starts a new baseline. */
    FORCE_SYNC,
    /** An error frame; the client counts it. */
    ERROR,
    /** Engine.IO OPEN ({@code 0{...}}): the client answers with a Socket.IO CONNECT. */
    OPEN,
    /** Engine.IO PING ({@code 2}): the client answers PONG. */
    PING,
    /** Anything else ({@code connected}, {@code pong}, ...): ignored. */
    OTHER
}
