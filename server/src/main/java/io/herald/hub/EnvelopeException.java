package io.herald.hub;

/** An envelope or batch that breaks §3; {@link #tooLarge()} maps to HTTP 413, anything else to 400. */
public final class EnvelopeException extends Exception {
    private final boolean tooLarge;

    public EnvelopeException(String message, boolean tooLarge) {
        super(message, null, false, false);
        this.tooLarge = tooLarge;
    }

    public boolean tooLarge() {
        return tooLarge;
    }
}
