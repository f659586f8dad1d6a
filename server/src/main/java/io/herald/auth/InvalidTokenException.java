package io.herald.auth;

/**
 * A token that is missing, malformed, badly signed, expired or otherwise "invalid" in the sense of §2.
 * The message says why in words safe for a log: it never contains the token. Cheap: no stack trace.
 */
public final class InvalidTokenException extends Exception {
    public InvalidTokenException(String reason) {
        super(reason, null, false, false);
    }
}
