package io.herald.client;

/**
 * One of the contract's JSON dialects, seen from the client: where it lives, what its ping looks like, and
 * what a server frame means. The commands that differ per dialect live in the dialect's client class.
 */
interface ClientDialect {
    /** The endpoint's path (§4, §5, §6), appended to the client's base URI. */
    String path();

    /** The JSON ping whose answer is {@code pong}. */
    String ping();

    /**
     * Whether the server greets an admitted connection ({@code connected}, §5, §6). A dialect without a greeting
     * (sync, §4) is probed with a ping right after the upgrade: its {@code pong} tells the token was accepted.
     */
    boolean greets();

    /** What a server frame means, or null for frames the client ignores. */
    ServerMessage classify(JsonFrame f);
}
