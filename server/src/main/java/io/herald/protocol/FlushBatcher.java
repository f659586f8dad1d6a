package io.herald.protocol;

import io.netty.channel.SingleThreadEventLoop;
import io.netty.channel.SingleThreadIoEventLoop;
import io.netty.util.concurrent.EventExecutor;

import java.util.ArrayList;

/**
 * Coalesces event flushes: a connection that receives several events within one event-loop turn gets them
 * in one flush (one {@code writev}) at the end of that turn, and no frame waits longer than the turn.
 * One per event loop; touched only on it.
 */
final class FlushBatcher implements Runnable {
    private final SingleThreadEventLoop loop;
    private ArrayList<Connection<?>> pending = new ArrayList<>();
    private boolean scheduled;

    private FlushBatcher(SingleThreadEventLoop loop) {
        this.loop = loop;
    }

    /**
     * A batcher for {@code loop}, or null when the loop does not run end-of-turn tasks (then flush at once).
     * Only the I/O loops do: {@code SingleThreadIoEventLoop} runs them after every turn's tasks, whereas a
     * plain {@code DefaultEventLoop} never would and events would stay unflushed.
     */
    static FlushBatcher forLoop(EventExecutor loop) {
        return loop instanceof SingleThreadIoEventLoop s ? new FlushBatcher(s) : null;
    }

    void add(Connection<?> c) {
        pending.add(c);
        if (!scheduled) {
            scheduled = true;
            loop.executeAfterEventLoopIteration(this);
        }
    }

    @Override
    public void run() {
        scheduled = false;
        ArrayList<Connection<?>> due = pending;
        pending = new ArrayList<>(due.size());
        for (int i = 0; i < due.size(); i++) {
            due.get(i).flushNow();
        }
    }
}
