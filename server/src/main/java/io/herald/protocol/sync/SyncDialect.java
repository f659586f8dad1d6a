package io.herald.protocol.sync;

import com.fasterxml.jackson.core.io.SerializedString;
import io.herald.hub.Envelope;
import io.herald.hub.Topic;
import io.herald.protocol.Command;
import io.herald.protocol.Connection;
import io.herald.protocol.Dialect;
import io.herald.protocol.Disconnect;
import io.herald.protocol.Endpoint;
import io.herald.protocol.Replies;
import io.herald.protocol.TextFrames;
import io.herald.broker.history.History;
import io.herald.protocol.Resumption;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The sync endpoint, PROTOCOL.md §4: {@code /api/v1/sync/ws/{device_id}}. A device subscribes once to every
 * share of its token plus its own {@code device:} topic, and receives only {@code change},
 * {@code sync_preference_updated} and {@code force_sync} nudges.
 */
public final class SyncDialect implements Dialect<Void> {
    public static final String CHANGE = "change";
    public static final String SYNC_PREFERENCE_UPDATED = "sync_preference_updated";
    public static final String FORCE_SYNC = "force_sync";

    private static final SerializedString EVENT_TYPE = new SerializedString("event_type");
    private static final SerializedString SHARE_ID = new SerializedString("share_id");
    private static final SerializedString DEVICE_ID = new SerializedString("device_id");
    private static final SerializedString DATA = new SerializedString("data");

    private static final Set<Topic.Kind> GRANTABLE = java.util.EnumSet.of(Topic.Kind.SHARE);

    private final History history;

    /** Without history (§11 off). */
    public SyncDialect() {
        this(null);
    }

    /** @param history §11 positions of shares, or null without history */
    public SyncDialect(History history) {
        this.history = history;
    }

    @Override
    public Endpoint endpoint() {
        return Endpoint.SYNC;
    }

    /** §4: 4403 unless the path's device is one of the token's {@code devices}. */
    @Override
    public Disconnect admit(Connection<Void> c) {
        String device = c.pathParameter();
        return device != null && Topic.isValidId(device) && c.principal().ownsDevice(device)
                ? null : Disconnect.DEVICE_NOT_REGISTERED;
    }

    @Override
    public void onOpen(Connection<Void> c) {
        // §4: nothing is delivered before the client's subscribe.
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
        String type = cmd.get("type");
        if ("ping".equals(type)) {
            c.send(Replies.single(alloc, "type", "pong"));
        } else if ("subscribe".equals(type)) {
            subscribe(c, cmd.sinceByKey());
        } else {
            c.send(Replies.error(alloc, "invalid_request", null, null,
                    type == null ? "missing type" : "unknown type"));
        }
    }

    /**
     * Subscribes to the token's shares and the device; answers once every subscription is confirmed. With history
     * (§11) the answer names each share's position, resumes the shares of {@code since} the history covers and sends
     * {@code force_sync} for the others.
     */
    private void subscribe(Connection<Void> c, Map<String, History.Position> since) {
        List<Topic> shares = new ArrayList<>();
        List<CompletableFuture<Void>> pending = new ArrayList<>();
        List<Boolean> already = new ArrayList<>();
        Set<String> readable = new LinkedHashSet<>(c.principal().shares());
        for (Topic t : c.widened()) {
            if (t.kind() == Topic.Kind.SHARE) {
                readable.add(t.id()); // §12: granted by the control API
            }
        }
        for (String share : readable) {
            if (Topic.isValidId(share)) {
                Topic topic = Topic.share(share);
                boolean was = c.isSubscribed(topic);
                shares.add(topic);
                already.add(was);
                if (history != null) {
                    Resumption.hold(c, topic, since.get(share), was);
                }
                pending.add(c.subscribeOrClose(topic).toCompletableFuture());
            }
        }
        pending.add(c.subscribeOrClose(Topic.device(c.pathParameter())).toCompletableFuture());
        CompletableFuture.allOf(pending.toArray(new CompletableFuture[0])).whenComplete((ok, failure) -> c.execute(() -> {
            if (failure != null) {
                shares.forEach(c::dropHeld);
                return; // §10: the connection is closing 1013; the device reconnects and subscribes again
            }
            if (history == null) {
                c.send(subscribed(c.alloc(), shares, null, null));
                c.greet();
                return;
            }
            List<CompletableFuture<History.Recovery>> reads = new ArrayList<>(shares.size());
            for (Topic share : shares) {
                reads.add(Resumption.read(history, share, since.get(share.id())).toCompletableFuture());
            }
            CompletableFuture.allOf(reads.toArray(new CompletableFuture[0])).whenComplete((done, readFailure) ->
                    c.execute(() -> answer(c, shares, already, since, reads, readFailure)));
        }));
    }

    /** §11: one {@code subscribed} for every share, then each share's replay or {@code force_sync}. */
    private void answer(Connection<Void> c, List<Topic> shares, List<Boolean> already, Map<String, History.Position> since,
                        List<CompletableFuture<History.Recovery>> reads, Throwable failure) {
        if (failure != null) {
            shares.forEach(c::dropHeld);
            c.close(Disconnect.TRY_AGAIN_LATER); // as an unconfirmed subscription (§10): reconnect and resume
            return;
        }
        Map<String, History.Position> positions = new LinkedHashMap<>();
        List<String> recovered = new ArrayList<>();
        for (int i = 0; i < shares.size(); i++) {
            String share = shares.get(i).id();
            History.Recovery r = reads.get(i).join();
            History.Position s = since.get(share);
            positions.put(share, Resumption.answered(s, r));
            if (Resumption.recovered(s, r)) {
                recovered.add(share);
            }
        }
        c.send(subscribed(c.alloc(), shares, positions, since.isEmpty() ? null : recovered));
        c.greet();
        for (int i = 0; i < shares.size(); i++) {
            Topic share = shares.get(i);
            if (!c.isSubscribed(share)) {
                continue;
            }
            Resumption.replay(c, share, since.get(share.id()), already.get(i), reads.get(i).join(), this,
                    p -> forceSync(c.alloc(), share.id(), p));
        }
    }

    private static ByteBuf subscribed(ByteBufAllocator alloc, List<Topic> shares, Map<String, History.Position> positions,
                                      List<String> recovered) {
        return TextFrames.json(alloc, g -> {
            g.writeStartObject();
            g.writeStringField("type", "subscribed");
            g.writeArrayFieldStart("shares");
            for (Topic s : shares) {
                g.writeString(s.id());
            }
            g.writeEndArray();
            if (positions != null) {
                g.writeObjectFieldStart("positions");
                for (Map.Entry<String, History.Position> p : positions.entrySet()) {
                    g.writeObjectFieldStart(p.getKey());
                    TextFrames.positionFields(g, p.getValue());
                    g.writeEndObject();
                }
                g.writeEndObject();
            }
            if (recovered != null) {
                g.writeArrayFieldStart("recovered");
                for (String s : recovered) {
                    g.writeString(s);
                }
                g.writeEndArray();
            }
            g.writeEndObject();
        });
    }

    /**
     * §12: a share, as if the client had sent {@code subscribe} again (harmless, §4): the answer names every share.
     * A device that has not subscribed yet gets it with its own subscribe: nothing is delivered before that (§4).
     */
    @Override
    public Set<Topic.Kind> grantable() {
        return GRANTABLE;
    }

    @Override
    public void subscribeGranted(Connection<Void> c, Topic share) {
        if (c.isSubscribed(Topic.device(c.pathParameter()))) {
            subscribe(c, Map.of());
        }
    }

    /**
     * §12: the auth proxy's events, after the first {@code subscribed} (§4: nothing comes before it), framed as the
     * endpoint's events are: {@code {"event_type":"…","data":…}}.
     */
    @Override
    public ByteBuf greeting(Envelope e, ByteBufAllocator alloc) {
        return TextFrames.json(alloc, g -> {
            g.writeStartObject();
            g.writeFieldName(EVENT_TYPE);
            g.writeString(e.eventType());
            if (e.data() != null) {
                TextFrames.rawField(g, DATA, e.data());
            }
            g.writeEndObject();
        });
    }

    @Override
    public ByteBuf render(Envelope e, ByteBufAllocator alloc) {
        Topic.Kind kind = e.topic().kind();
        String type = e.eventType();
        if (kind == Topic.Kind.SHARE) {
            if (CHANGE.equals(type)) {
                return TextFrames.json(alloc, g -> {
                    g.writeStartObject();
                    g.writeFieldName(EVENT_TYPE);
                    g.writeString(CHANGE);
                    g.writeFieldName(SHARE_ID);
                    g.writeString(e.topic().id());
                    if (e.data() != null) {
                        TextFrames.rawField(g, DATA, e.data());
                    }
                    TextFrames.offsetField(g, e.offset()); // §11
                    g.writeEndObject();
                });
            }
            if (FORCE_SYNC.equals(type)) {
                return forceSync(alloc, e.topic().id());
            }
        } else if (kind == Topic.Kind.DEVICE) {
            if (SYNC_PREFERENCE_UPDATED.equals(type)) {
                return TextFrames.json(alloc, g -> {
                    g.writeStartObject();
                    g.writeFieldName(EVENT_TYPE);
                    g.writeString(SYNC_PREFERENCE_UPDATED);
                    if (e.shareId() != null) {
                        g.writeFieldName(SHARE_ID);
                        g.writeString(e.shareId());
                    }
                    g.writeFieldName(DEVICE_ID);
                    g.writeString(e.topic().id());
                    g.writeEndObject();
                });
            }
            if (FORCE_SYNC.equals(type)) {
                return forceSync(alloc, e.shareId());
            }
        }
        return null; // §4: other event types are not sent on this endpoint
    }

    /** §8.3: a lost share event asks for that share; a lost device event for everything. */
    @Override
    public ByteBuf forceSync(Topic topic, ByteBufAllocator alloc) {
        if (topic.kind() == Topic.Kind.SHARE) {
            return forceSync(alloc, topic.id(), history == null ? null : history.latest(topic.name()));
        }
        return topic.kind() == Topic.Kind.DEVICE ? forceSync(alloc, null) : null;
    }

    /** {@code {"event_type":"force_sync","share_id":"s"}}; without a share it asks for a full sync. */
    public static ByteBuf forceSync(ByteBufAllocator alloc, String shareId) {
        return forceSync(alloc, shareId, null);
    }

    /** With history (§11), the share's position from which delivery goes on; none when {@code p} is null. */
    private static ByteBuf forceSync(ByteBufAllocator alloc, String shareId, History.Position p) {
        return TextFrames.json(alloc, g -> {
            g.writeStartObject();
            g.writeFieldName(EVENT_TYPE);
            g.writeString(FORCE_SYNC);
            if (shareId != null) {
                g.writeFieldName(SHARE_ID);
                g.writeString(shareId);
            }
            TextFrames.positionFields(g, p);
            g.writeEndObject();
        });
    }
}
