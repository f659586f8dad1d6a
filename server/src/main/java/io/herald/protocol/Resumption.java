package io.herald.protocol;

import io.herald.broker.history.History;
import io.herald.hub.FrameRenderer;
import io.herald.hub.Topic;
import io.netty.buffer.ByteBuf;

/**
 * §11's answer to a subscribe, written once for every dialect that resumes by position: on the connection's loop
 * right after the hub subscription, it names the topic's position ({@code subscribed}), and for a {@code since} the
 * history covers writes the events the client missed, in order; for one it does not, a {@code force_sync} at the
 * current position. Live events at or below the position named are dropped as they arrive (the hub may have
 * queued some for this loop already), except on a subscription that was live before this subscribe: those are on
 * their way to the client and none may be lost. The dialect only renders its own frames.
 */
public final class Resumption {

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
     * Answers a confirmed subscribe of {@code topic} on {@code c}; {@code renderer} renders the replayed events as
     * live ones are; {@code already} when the connection was subscribed before this subscribe.
     */
    public static void subscribed(History history, Connection<?> c, Topic topic, Command.Since since, boolean already,
                                  FrameRenderer renderer, Frames frames) {
        History.Recovery r = since == null ? null
                : history.recover(topic.name(), new History.Position(since.epoch(), since.offset()));
        History.Position now = r != null ? r.position() : history.position(topic.name());
        boolean recovered = r != null && r.recovered();
        c.send(frames.subscribed(recovered ? new History.Position(since.epoch(), since.offset()) : now,
                since == null ? null : recovered));
        if (recovered) {
            for (History.Entry missed : r.events()) {
                ByteBuf frame = renderer.render(missed.envelope().withOffset(missed.offset()), c.alloc());
                if (frame != null) { // event types this endpoint does not send are skipped (§11)
                    c.replay(topic, frame);
                }
            }
        } else if (since != null) {
            c.send(frames.forceSync(now)); // the gap is not covered: the client refetches this topic
        }
        if (since != null || !already) {
            c.deliveredUpTo(topic, now.offset());
        }
    }
}
