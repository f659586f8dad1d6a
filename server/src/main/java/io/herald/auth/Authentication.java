package io.herald.auth;

import java.util.List;

/**
 * The outcome of recognising a connection (§2, §12): a principal, with the events the auth proxy wants that
 * connection alone to receive at connect, or a refusal that says how to close.
 *
 * @param principal null unless accepted
 * @param greeting  §12 {@code events}: sent to the connection right after its {@code connected} (Socket.IO: CONNECT)
 * @param failure   null when accepted
 * @param why       for a debug log line; never a credential
 */
public record Authentication(Principal principal, List<Greeting> greeting, Failure failure, String why) {

    /** How a refused connection closes. */
    public enum Failure {
        /** Invalid, expired or refused credentials: 4401, Socket.IO {@code 44{"message":"unauthorized"}}. */
        UNAUTHORIZED,
        /** The backend could not say (timeout, outage, an answer it should not give): 1013, never 4401. */
        UNAVAILABLE
    }

    /** One {@code events} entry of a proxy answer: {@code data} is its raw UTF-8 JSON, or null when absent. */
    public record Greeting(String eventType, byte[] data) {
    }

    public Authentication {
        greeting = greeting == null ? List.of() : List.copyOf(greeting);
    }

    public static Authentication accepted(Principal principal, List<Greeting> greeting) {
        return new Authentication(principal, greeting, null, null);
    }

    public static Authentication unauthorized(String why) {
        return new Authentication(null, List.of(), Failure.UNAUTHORIZED, why);
    }

    public static Authentication unavailable(String why) {
        return new Authentication(null, List.of(), Failure.UNAVAILABLE, why);
    }

    public boolean accepted() {
        return failure == null;
    }
}
