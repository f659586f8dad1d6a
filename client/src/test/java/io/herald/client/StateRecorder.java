package io.herald.client;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.fail;

/** Records every state change with the monotonic time it happened, and waits for conditions on the record. */
final class StateRecorder implements StateListener {
    static final Duration WAIT = Duration.ofSeconds(20);

    record Entry(StateChange change, long atNanos) {
        ConnectionState state() {
            return change.current();
        }
    }

    private final List<Entry> entries = new ArrayList<>();

    @Override
    public synchronized void onStateChange(StateChange change) {
        entries.add(new Entry(change, System.nanoTime()));
        notifyAll();
    }

    synchronized List<Entry> entries() {
        return List.copyOf(entries);
    }

    List<ConnectionState> states() {
        return entries().stream().map(Entry::state).toList();
    }

    /** Waits until {@code condition} holds for the record; fails after {@code wait}. */
    synchronized List<Entry> await(String what, Duration wait, Predicate<List<Entry>> condition) {
        long deadline = System.nanoTime() + wait.toNanos();
        while (!condition.test(entries)) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                fail("timed out after " + wait + " waiting for " + what + "; states so far: " + describe(entries));
            }
            try {
                wait(Math.max(1, left / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail(e);
            }
        }
        return List.copyOf(entries);
    }

    List<Entry> await(String what, Predicate<List<Entry>> condition) {
        return await(what, WAIT, condition);
    }

    /** Waits until the record has at least {@code n} entries entering {@code state}. */
    List<Entry> awaitCount(ConnectionState state, int n) {
        return await(n + " x " + state, es -> es.stream().filter(e -> e.state() == state).count() >= n);
    }

    static String describe(List<Entry> es) {
        StringBuilder b = new StringBuilder();
        for (Entry e : es) {
            StateChange c = e.change();
            b.append("\n  ").append(c.current());
            if (c.disconnect() != null) {
                b.append(" ").append(c.disconnect().kind()).append(" ").append(c.disconnect().closeCode())
                        .append(" ").append(c.disconnect().reason());
            }
            if (c.retryIn() != null) {
                b.append(" retry in ").append(c.retryIn().toMillis()).append(" ms");
            }
        }
        return b.toString();
    }
}
