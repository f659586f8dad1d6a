package io.herald.client;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/** Collects what a client's listeners receive, for tests to take in order. */
final class Inbox implements EventListener, SubscriptionListener, ErrorListener {
    static final Duration WAIT = Duration.ofSeconds(10);

    final BlockingQueue<HeraldEvent> events = new LinkedBlockingQueue<>();
    final BlockingQueue<List<String>> subscribed = new LinkedBlockingQueue<>();
    final BlockingQueue<String> unsubscribed = new LinkedBlockingQueue<>();
    final BlockingQueue<ServerError> errors = new LinkedBlockingQueue<>();

    static Inbox on(HeraldClient c) {
        Inbox i = new Inbox();
        c.addEventListener(i);
        c.addSubscriptionListener(i);
        c.addErrorListener(i);
        return i;
    }

    @Override
    public void onEvent(HeraldEvent event) {
        events.add(event);
    }

    @Override
    public void onSubscribed(List<String> targets) {
        subscribed.add(targets);
    }

    @Override
    public void onUnsubscribed(String target) {
        unsubscribed.add(target);
    }

    @Override
    public void onError(ServerError error) {
        errors.add(error);
    }

    static <T> T next(BlockingQueue<T> q, String what) {
        try {
            T t = q.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            if (t == null) {
                fail("no " + what + " within " + WAIT);
            }
            return t;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    HeraldEvent nextEvent() {
        return next(events, "event");
    }

    List<String> nextSubscribed() {
        return next(subscribed, "subscribed");
    }

    ServerError nextError() {
        return next(errors, "error");
    }
}
