package io.herald.broker;

/** The broker cannot take or confirm anything right now (§10): Redis is down or the connection broke. */
public final class BrokerUnavailableException extends RuntimeException {
    public BrokerUnavailableException(String message) {
        super(message, null, false, false);
    }
}
