package io.herald.protocol;

import io.herald.broker.history.History;
import io.herald.hub.FrameRenderer;
import io.herald.hub.Topic;
import io.netty.buffer.ByteBuf;

import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * §11's answer to a subscribe, written once for every dialect that resumes by position: on the connection's loop
 * right after the hub subscription, it names the topic's position ({@code subscribed}), and for a {@code since} the
 * history covers writes the events the client missed, in order; for one it does not, a {@code force_sync} at the
 * current position. Live events are held while the history is read, and those at or below the position named are
 * dropped ({@link Seams}), except on a subscription that was live before this subscribe without {@code since}:
 * those are on their way to the client and none may be lost. The dialect only renders its own frames.
 */
public final class Resumption {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Resumption.class);
    /** When a failed read was last logged: at most one line per 10 s in a storm (racy by design). */
    private static volatile long lastFailureLogMillis;

    /** The dialect's frames for the answer. */
    public interface Frames {
        /** {@code subscribed} at {@code position}; {@code recovered} null when the subscribe had no {@code since}. */
        ByteBuf subscribed(History.Position position, Boolean recovered);

        /** {@code force_sync} of the topic, delivery going on from {@code position}. */
        ByteBuf forceSync(History.Position position);
    }

    private Resumption() {
    }

    /**
     * Before the hub subscription of a resume (or of a first subscribe): holds the topic's live events, so that none
     * slips out ahead of the answer. A subscribe that then fails calls {@link Connection#dropHeld}.
     */
    public static void hold(Connection<?> c, Topic topic, History.Position since, boolean already) {
        if (seam(since, already)) {
            c.holdLive(topic);
        }
    }

    /** A live subscription resumed without {@code since} has its events on their way: none may be dropped. */
    private static boolean seam(History.Position since, boolean already) {
        return since != null || !already;
    }

    /** Reads what a subscribe of {@code topic} answers: its position, or the events after {@code since}. */
    public static CompletionStage<History.Recovery> read(History history, Topic topic, History.Position since) {
        return since == null
                ? history.position(topic.name()).thenApply(p -> new History.Recovery(false, p, List.of()))
                : history.recover(topic.name(), since);
    }

    /**
     * Answers a confirmed subscribe of {@code topic} on {@code c}; {@code renderer} renders the replayed events as
     * live ones are; {@code already} when the connection was subscribed before this subscribe. The history may
     * answer later (Redis): live events of the topic are held meanwhile. When it cannot answer, the subscribe is
     * undone as one the broker could not confirm (held events let go, a new subscription left) and {@code failed}
     * tells the client in the dialect's words.
     */
    public static void subscribed(History history, Connection<?> c, Topic topic, History.Position since, boolean already,
                                  FrameRenderer renderer, Frames frames, Runnable failed) {
        hold(c, topic, since, already);
        read(history, topic, since).whenComplete((r, failure) -> c.execute(() -> {
            if (!c.isSubscribed(topic)) {
                return; // an unsubscribe overtook the read (and dropped what was held)
            }
            if (failure != null) {
                c.dropHeld(topic);
                if (!already) {
                    c.unsubscribe(topic);
                }
                readFailed(topic, failure);
                failed.run();
                return;
            }
            c.send(frames.subscribed(answered(since, r), since == null ? null : recovered(since, r)));
            replay(c, topic, since, already, r, renderer, frames::forceSync);
        }));
    }

    /** Logs a history read that failed (the client is told to retry), at most once per 10 s. */
    public static void readFailed(Topic topic, Throwable failure) {
        long now = System.currentTimeMillis();
        if (now - lastFailureLogMillis > 10_000) {
            lastFailureLogMillis = now;
            Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
            log.warn("§11 history read for {} failed ({}); the client is told to retry", topic.name(), cause.toString());
        }
    }

    /** Whether the answer to a subscribe with {@code since} is a recovery. */
    public static boolean recovered(History.Position since, History.Recovery r) {
        return since != null && r.recovered();
    }

    /** The position a {@code subscribed} names: the client's own when recovered, else the topic's. */
    public static History.Position answered(History.Position since, History.Recovery r) {
        return recovered(since, r) ? since : r.position();
    }

    /**
     * After the {@code subscribed} frame: the missed events when recovered, else a {@code force_sync} when the
     * subscribe had a {@code since}; then the held live events past the seam.
     */
    public static void replay(Connection<?> c, Topic topic, History.Position since, boolean already, History.Recovery r,
                              FrameRenderer renderer, Function<History.Position, ByteBuf> forceSync) {
        History.Position now = r.position();
        if (recovered(since, r)) {
            for (History.Entry missed : r.events()) {
                ByteBuf frame = renderer.render(missed.envelope(), c.alloc());
                if (frame != null) { // event types this endpoint does not send are skipped (§11)
                    c.replay(topic, missed.offset(), missed.envelope().epoch(), frame);
                }
            }
        } else if (since != null) {
            c.send(forceSync.apply(now)); // the gap is not covered: the client refetches this topic
        }
        long lost = seam(since, already) ? c.releaseAt(topic, now.epoch(), now.offset()) : -1;
        if (lost >= 0) { // too many live events came while the history was read: they were let go
            c.send(forceSync.apply(new History.Position(now.epoch(), Math.max(now.offset(), lost))));
        }
    }
}
