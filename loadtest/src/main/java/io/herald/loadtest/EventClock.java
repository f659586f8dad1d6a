package io.herald.loadtest;

/**
 * The one clock that publisher and clients share: {@link System#nanoTime()} less a base taken when this class
 * loads. Publisher and clients live in the same JVM, so an event's {@code "t"} and its arrival are comparable.
 *
 * <p>Why a base: a raw {@code nanoTime} on a machine up for a few months passes 2<sup>53</sup>, and JSON peers that
 * parse numbers as doubles (Socket.IO on Node) would round it. Relative to the base it stays exact for 104 days.
 */
public final class EventClock {
    private static final long BASE = System.nanoTime();

    private EventClock() {
    }

    /** Nanoseconds since the load tool started. */
    public static long now() {
        return System.nanoTime() - BASE;
    }
}
