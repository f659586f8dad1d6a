package io.herald.client;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The listeners of one kind, called in the order they were added. A listener that throws is logged and
 * skipped: it never reaches the connection, the other listeners, or later calls.
 */
final class Listeners<L> {
    private static final Logger log = LoggerFactory.getLogger(Listeners.class);

    private final String kind;
    private final List<L> list = new CopyOnWriteArrayList<>();

    Listeners(String kind) {
        this.kind = kind;
    }

    void add(L listener) {
        if (listener == null) {
            throw new IllegalArgumentException(kind + " listener is null");
        }
        list.add(listener);
    }

    boolean remove(L listener) {
        return list.remove(listener);
    }

    void fire(Consumer<? super L> call) {
        for (L l : list) {
            try {
                call.accept(l);
            } catch (VirtualMachineError e) {
                throw e;
            } catch (Throwable t) {
                log.warn("{} listener {} threw; ignored", kind, l, t);
            }
        }
    }
}
