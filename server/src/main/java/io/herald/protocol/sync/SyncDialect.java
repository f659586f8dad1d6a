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
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.util.ArrayList;
import java.util.List;
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
            subscribe(c);
        } else {
            c.send(Replies.error(alloc, "invalid_request", null, null,
                    type == null ? "missing type" : "unknown type"));
        }
    }

    /** Subscribes to the token's shares and the device; answers once every subscription is confirmed. */
    private void subscribe(Connection<Void> c) {
        List<String> shares = new ArrayList<>();
        List<CompletableFuture<Void>> pending = new ArrayList<>();
        for (String share : c.principal().shares()) {
            if (Topic.isValidId(share)) {
                shares.add(share);
                pending.add(c.subscribeOrClose(Topic.share(share)).toCompletableFuture());
            }
        }
        pending.add(c.subscribeOrClose(Topic.device(c.pathParameter())).toCompletableFuture());
        CompletableFuture.allOf(pending.toArray(new CompletableFuture[0])).whenComplete((ok, failure) -> c.execute(() -> {
            ByteBufAllocator alloc = c.alloc();
            if (failure != null) {
                return; // §10: the connection is closing 1013; the device reconnects and subscribes again
            }
            c.send(TextFrames.json(alloc, g -> {
                g.writeStartObject();
                g.writeStringField("type", "subscribed");
                g.writeArrayFieldStart("shares");
                for (String s : shares) {
                    g.writeString(s);
                }
                g.writeEndArray();
                g.writeEndObject();
            }));
        }));
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
            return forceSync(alloc, topic.id());
        }
        return topic.kind() == Topic.Kind.DEVICE ? forceSync(alloc, null) : null;
    }

    /** {@code {"event_type":"force_sync","share_id":"s"}}; without a share it asks for a full sync. */
    public static ByteBuf forceSync(ByteBufAllocator alloc, String shareId) {
        return TextFrames.json(alloc, g -> {
            g.writeStartObject();
            g.writeFieldName(EVENT_TYPE);
            g.writeString(FORCE_SYNC);
            if (shareId != null) {
                g.writeFieldName(SHARE_ID);
                g.writeString(shareId);
            }
            g.writeEndObject();
        });
    }
}
