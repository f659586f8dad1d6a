package io.herald.protocol.realtime;

import io.herald.broker.history.History;
import com.fasterxml.jackson.core.io.SerializedString;
import io.herald.hub.Envelope;
import io.herald.hub.Topic;
import io.herald.protocol.Command;
import io.herald.protocol.Connection;
import io.herald.protocol.Dialect;
import io.herald.protocol.Endpoint;
import io.herald.protocol.Replies;
import io.herald.protocol.Resumption;
import io.herald.protocol.TextFrames;
import io.herald.protocol.sync.SyncDialect;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.time.Clock;
import java.util.Set;

/**
 * The realtime endpoint, PROTOCOL.md §5: {@code /api/v1/realtime/ws}. Greets with {@code connected},
 * subscribes each share on request when the token allows it, and always listens to the user's own
 * {@code user:{sub}} topic and {@code broadcast}.
 */
public final class RealtimeDialect implements Dialect<Void> {
    private static final Set<Topic.Kind> GRANTABLE = java.util.EnumSet.of(Topic.Kind.SHARE);
    private static final SerializedString TYPE = new SerializedString("type");
    private static final SerializedString SHARE_ID = new SerializedString("share_id");
    private static final SerializedString DATA = new SerializedString("data");

    private final Clock clock;
    /** §11: where share topics' positions are kept, or null without history. */
    private final History history;

    public RealtimeDialect(Clock clock) {
        this(clock, null);
    }

    public RealtimeDialect(Clock clock, History history) {
        this.clock = clock;
        this.history = history;
    }

    @Override
    public Endpoint endpoint() {
        return Endpoint.REALTIME;
    }

    @Override
    public void onOpen(Connection<Void> c) {
        String user = c.principal().subject();
        c.send(TextFrames.json(c.alloc(), g -> {
            g.writeStartObject();
            g.writeStringField("type", "connected");
            g.writeStringField("user_id", user);
            g.writeStringField("timestamp", Replies.timestamp(clock.instant()));
            g.writeEndObject();
        }));
        c.greet(); // §12: the auth proxy's events, right after connected
        if (Topic.isValidId(user)) {
            c.subscribeOrClose(Topic.user(user)); // §10: confirmed, or the connection closes 1013
        }
        Topic session = c.principal().sessionTopic();
        if (session != null) {
            c.subscribeOrClose(session); // §12: its session's events, framed as the user's
        }
        c.subscribeOrClose(Topic.BROADCAST);
    }

    @Override
    public void onText(Connection<Void> c, ByteBuf utf8) {
        ByteBufAllocator alloc = c.alloc();
        Command cmd;
        try {
            cmd = Command.parse(utf8);
        } catch (Command.Malformed e) {
            c.send(Replies.error(alloc, "invalid_request", null, null, e.getMessage()));
            return;
        }
        String action = cmd.get("action");
        if (action == null) {
            c.send(Replies.error(alloc, "invalid_request", null, null, "missing action"));
            return;
        }
        switch (action) {
            case "ping":
                c.send(Replies.single(alloc, "type", "pong"));
                break;
            case "subscribe":
                subscribe(c, cmd.get("share_id"), cmd.since());
                break;
            case "unsubscribe":
                unsubscribe(c, cmd.get("share_id"));
                break;
            default:
                c.send(Replies.error(alloc, "invalid_request", null, null, "unknown action"));
        }
    }

    private void subscribe(Connection<Void> c, String shareId, History.Position since) {
        ByteBufAllocator alloc = c.alloc();
        if (shareId == null) {
            c.send(Replies.error(alloc, "invalid_request", null, null, "missing share_id"));
            return;
        }
        if (!Command.echoable(shareId)) {
            c.send(Replies.error(alloc, "invalid_request", null, null, "share_id too long")); // §8.3: never echoed
            return;
        }
        if (!Topic.isValidId(shareId) || !(c.principal().mayReadShare(shareId) || c.widens(Topic.share(shareId)))) {
            c.send(Replies.error(alloc, "forbidden", "share_id", shareId, "share not in token"));
            return;
        }
        Topic topic = Topic.share(shareId);
        boolean already = c.isSubscribed(topic);
        if (history != null) {
            Resumption.hold(c, topic, since, already); // §11: nothing live slips out ahead of the answer
        }
        c.subscribe(topic).whenComplete((ok, failure) -> c.execute(() -> {
            if (failure != null) {
                c.dropHeld(topic);
                c.send(Replies.error(c.alloc(), "internal_error", "share_id", shareId, "subscription failed, retry"));
            } else if (c.isSubscribed(topic)) { // not when an unsubscribe overtook the confirmation
                if (history == null) {
                    c.send(shareReply(c.alloc(), "subscribed", shareId));
                } else {
                    subscribedAt(c, topic, since, already, () -> c.send(Replies.error(c.alloc(), "internal_error",
                            "share_id", shareId, "subscription failed, retry")));
                }
            }
        }));
    }

    /** §11: {@code subscribed} with the share's position, the missed events or a {@code force_sync} (see {@link Resumption}). */
    private void subscribedAt(Connection<Void> c, Topic topic, History.Position since, boolean already, Runnable failed) {
        Resumption.subscribed(history, c, topic, since, already, this, new Resumption.Frames() {
            @Override
            public ByteBuf subscribed(History.Position p, Boolean recovered) {
                return TextFrames.json(c.alloc(), g -> {
                    g.writeStartObject();
                    g.writeStringField("type", "subscribed");
                    g.writeStringField("share_id", topic.id());
                    TextFrames.positionFields(g, p);
                    if (recovered != null) {
                        g.writeBooleanField("recovered", recovered);
                    }
                    g.writeEndObject();
                });
            }

            @Override
            public ByteBuf forceSync(History.Position p) {
                return forceSyncAt(c.alloc(), topic.id(), p);
            }
        }, failed);
    }

    private static ByteBuf forceSyncAt(ByteBufAllocator alloc, String shareId, History.Position p) {
        return TextFrames.json(alloc, g -> {
            g.writeStartObject();
            g.writeStringField("type", SyncDialect.FORCE_SYNC);
            g.writeStringField("share_id", shareId);
            TextFrames.positionFields(g, p); // none without history, or before the instance knows one
            g.writeEndObject();
        });
    }

    /** §12: the control API may grant shares; the answers are those of the client's own commands. */
    @Override
    public Set<Topic.Kind> grantable() {
        return GRANTABLE;
    }

    @Override
    public void subscribeGranted(Connection<Void> c, Topic share) {
        subscribe(c, share.id(), null);
    }

    /** Answered {@code unsubscribed} only when it was subscribed. */
    @Override
    public void unsubscribeGranted(Connection<Void> c, Topic share) {
        if (c.isSubscribed(share)) {
            unsubscribe(c, share.id());
        }
    }

    private void unsubscribe(Connection<Void> c, String shareId) {
        ByteBufAllocator alloc = c.alloc();
        if (shareId == null) {
            c.send(Replies.error(alloc, "invalid_request", null, null, "missing share_id"));
            return;
        }
        if (!Command.echoable(shareId)) {
            c.send(Replies.error(alloc, "invalid_request", null, null, "share_id too long")); // §8.3: never echoed
            return;
        }
        if (Topic.isValidId(shareId)) {
            c.unsubscribe(Topic.share(shareId));
        }
        c.send(shareReply(alloc, "unsubscribed", shareId));
    }

    private static ByteBuf shareReply(ByteBufAllocator alloc, String type, String shareId) {
        return TextFrames.json(alloc, g -> {
            g.writeStartObject();
            g.writeStringField("type", type);
            g.writeStringField("share_id", shareId);
            g.writeEndObject();
        });
    }

    /** §8.3: {@code {"type":"force_sync","share_id":"s"}} for a share; user and broadcast events have no resync. */
    @Override
    public ByteBuf forceSync(Topic topic, ByteBufAllocator alloc) {
        if (topic.kind() != Topic.Kind.SHARE) {
            return null;
        }
        // §11: with history, the position from which delivery goes on
        return forceSyncAt(alloc, topic.id(), history == null ? null : history.latest(topic.name()));
    }

    @Override
    public ByteBuf render(Envelope e, ByteBufAllocator alloc) {
        Topic.Kind kind = e.topic().kind();
        String type = e.eventType();
        boolean onShare = kind == Topic.Kind.SHARE;
        if (onShare && (SyncDialect.CHANGE.equals(type) || SyncDialect.SYNC_PREFERENCE_UPDATED.equals(type)
                || SyncDialect.FORCE_SYNC.equals(type))) {
            return null; // §5: the sync nudges are the sync endpoint's
        }
        if (!onShare && kind != Topic.Kind.USER && kind != Topic.Kind.SESSION && kind != Topic.Kind.BROADCAST) {
            return null;
        }
        return TextFrames.json(alloc, g -> {
            g.writeStartObject();
            g.writeFieldName(TYPE);
            g.writeString(type);
            if (onShare) {
                g.writeFieldName(SHARE_ID);
                g.writeString(e.topic().id());
            }
            if (e.data() != null) {
                TextFrames.rawField(g, DATA, e.data());
            }
            if (onShare) {
                TextFrames.offsetField(g, e.offset()); // §11: share events carry their position (user ones have none)
            }
            g.writeEndObject();
        });
    }
}
