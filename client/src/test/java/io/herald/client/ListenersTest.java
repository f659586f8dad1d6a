package io.herald.client;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ListenersTest {
    @Test
    void aThrowingListenerIsSkippedAndTheOthersStillRunInOrderEveryTime() {
        Listeners<EventListener> listeners = new Listeners<>("event");
        List<String> calls = new ArrayList<>();
        listeners.add(e -> calls.add("a:" + e.type()));
        listeners.add(e -> {
            throw new IllegalStateException("boom");
        });
        listeners.add(e -> {
            throw new AssertionError("an Error is contained too");
        });
        listeners.add(e -> calls.add("d:" + e.type()));
        listeners.fire(l -> l.onEvent(new HeraldEvent("one", null, null, null)));
        listeners.fire(l -> l.onEvent(new HeraldEvent("two", null, null, null)));
        assertEquals(List.of("a:one", "d:one", "a:two", "d:two"), calls);
    }

    @Test
    void outOfMemoryIsNotSwallowed() {
        Listeners<Runnable> listeners = new Listeners<>("test");
        listeners.add(() -> {
            throw new OutOfMemoryError("simulated");
        });
        assertThrows(OutOfMemoryError.class, () -> listeners.fire(Runnable::run));
    }

    @Test
    void removeStopsCalls() {
        Listeners<Runnable> listeners = new Listeners<>("test");
        List<String> calls = new ArrayList<>();
        Runnable r = () -> calls.add("r");
        listeners.add(r);
        assertTrue(listeners.remove(r));
        listeners.fire(Runnable::run);
        assertEquals(List.of(), calls);
    }
}
