package io.herald.protocol.channels;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.SerializedString;
import io.herald.auth.Principal;
import io.herald.auth.Authentication;
import io.herald.auth.Authenticator;
import io.herald.auth.Credentials;
import io.herald.auth.TokenVerifier;
import io.herald.hub.Envelope;
import io.herald.hub.Topic;
import io.herald.broker.history.History;
import io.herald.protocol.Command;
import io.herald.protocol.Resumption;
import io.herald.protocol.Connection;
import io.herald.protocol.Dialect;
import io.herald.protocol.Disconnect;
import io.herald.protocol.Endpoint;
import io.herald.protocol.Replies;
import io.herald.protocol.TextFrames;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The channels endpoint, PROTOCOL.md §6: {@code GET /ws}. Every frame is {@code {"type":...,"data":{...}}};
 * a command's {@code id} is repeated in its answer. Channels are granted by the token's {@code channels} claim
 * ({@link ChannelPermissions}); {@code refresh} swaps the token for a newer one of the same user, which
 * extends the connection past the old {@code exp} (§8.2) and replaces its permissions.
 */
public final class ChannelsDialect implements Dialect<Void> {
    /** §6: at most this many subscriptions per connection. */
    public static final int MAX_SUBSCRIPTIONS = 1000;
    private static final Set<Topic.Kind> GRANTABLE = java.util.EnumSet.of(Topic.Kind.CHANNEL);

    private static final SerializedString TYPE = new SerializedString("type");
    private static final SerializedString CHANNEL = new SerializedString("channel");
    private static final SerializedString DATA = new SerializedString("data");
    private static final SerializedString TIMESTAMP = new SerializedString("timestamp");
    private static final byte[] EMPTY_OBJECT = {'{', '}'};

    private final Authenticator authenticator;
    private final Clock clock;
    /** §11: where channel topics' positions are kept, or null without history. */
    private final History history;

    public ChannelsDialect(TokenVerifier verifier, Clock clock) {
        this(new Authenticator(verifier), clock, null);
    }

    public ChannelsDialect(Authenticator authenticator, Clock clock, History history) {
        this.history = history;
        this.authenticator = authenticator;
        this.clock = clock;
    }

    /** §6 {@code expires_at}; null for a session the auth proxy gave no expiry (§12). */
    private static void expiresAt(com.fasterxml.jackson.core.JsonGenerator g, Principal p) throws java.io.IOException {
        if (p.expiresAt() == null) {
            g.writeNullField("expires_at");
        } else {
            g.writeStringField("expires_at", Replies.timestamp(p.expiresAt()));
        }
    }

    @Override
    public Endpoint endpoint() {
        return Endpoint.CHANNELS;
    }

    @Override
    public void onOpen(Connection<Void> c) {
        Principal p = c.principal();
        c.send(TextFrames.json(c.alloc(), g -> {
            g.writeStartObject();
            g.writeStringField("type", "connected");
            g.writeObjectFieldStart("data");
            g.writeStringField("user_id", p.subject());
            expiresAt(g, p);
            g.writeEndObject();
            g.writeEndObject();
        }));
        c.greet(); // §12: the auth proxy's events, right after connected
        Topic session = p.sessionTopic();
        if (session != null) {
            c.subscribeOrClose(session); // §12: the session's events, without a channel field
        }
    }

    @Override
    public void onText(Connection<Void> c, ByteBuf utf8) {
        Command cmd;
        try {
            cmd = Command.parse(utf8);
        } catch (Command.Malformed e) {
            error(c, null, "invalid_request", e.getMessage());
            return;
        }
        String id = cmd.rawId();
        String type = cmd.get("type");
        if (type == null) {
            error(c, id, "invalid_request", "missing type");
            return;
        }
        switch (type) {
            case "subscribe" -> subscribe(c, id, cmd.data("channel"), cmd.since());
            case "unsubscribe" -> unsubscribe(c, id, cmd.data("channel"));
            case "ping" -> reply(c, id, "pong", null);
            case "refresh" -> refresh(c, id, cmd.data("token"));
            default -> error(c, id, "invalid_request", "unknown type");
        }
    }

    private void subscribe(Connection<Void> c, String id, String channel, History.Position since) {
        if (channel == null) {
            error(c, id, "invalid_request", "missing data.channel");
            return;
        }
        if (!Topic.isValidId(channel)) {
            error(c, id, "subscription_failed", "invalid channel name");
            return;
        }
        if (!ChannelPermissions.allows(c.principal().channels(), channel) && !c.widens(Topic.channel(channel))) {
            error(c, id, "unauthorized", "channel not allowed by the token");
            return;
        }
        Topic topic = Topic.channel(channel);
        int own = c.principal().sessionTopic() != null ? 1 : 0; // the session's topic is not one of the client's
        if (!c.isSubscribed(topic) && c.topics().size() - own >= MAX_SUBSCRIPTIONS) {
            error(c, id, "subscription_failed", "limit of " + MAX_SUBSCRIPTIONS + " subscriptions reached");
            return;
        }
        boolean already = c.isSubscribed(topic);
        if (history != null) {
            Resumption.hold(c, topic, since, already); // §11: nothing live slips out ahead of the answer
        }
        c.subscribe(topic).whenComplete((ok, failure) -> c.execute(() -> {
            if (failure != null) {
                c.dropHeld(topic);
                error(c, id, "subscription_failed", "subscription could not be confirmed, retry");
            } else if (!c.isSubscribed(topic)) {
                return; // an unsubscribe or a refresh overtook the confirmation
            } else if (history == null) {
                reply(c, id, "subscribed", channel);
            } else {
                // §11: the channel's position, and the missed events or a force_sync
                Resumption.subscribed(history, c, topic, since, already, this, new Resumption.Frames() {
                    @Override
                    public ByteBuf subscribed(History.Position p, Boolean recovered) {
                        return frame(c.alloc(), "subscribed", id, g -> {
                            g.writeStringField("channel", channel);
                            TextFrames.positionFields(g, p);
                            if (recovered != null) {
                                g.writeBooleanField("recovered", recovered);
                            }
                        });
                    }

                    @Override
                    public ByteBuf forceSync(History.Position p) {
                        return forceSyncAt(c.alloc(), topic, p);
                    }
                }, () -> error(c, id, "subscription_failed", "subscription could not be confirmed, retry"));
            }
        }));
    }

    /** §12: the control API may grant channels; the answers are those of the client's own commands (no {@code id}). */
    @Override
    public Set<Topic.Kind> grantable() {
        return GRANTABLE;
    }

    @Override
    public void subscribeGranted(Connection<Void> c, Topic channel) {
        subscribe(c, null, channel.id(), null);
    }

    /** Answered {@code unsubscribed} only when it was subscribed. */
    @Override
    public void unsubscribeGranted(Connection<Void> c, Topic channel) {
        if (c.isSubscribed(channel)) {
            unsubscribe(c, null, channel.id());
        }
    }

    private void unsubscribe(Connection<Void> c, String id, String channel) {
        if (channel == null) {
            error(c, id, "invalid_request", "missing data.channel");
            return;
        }
        if (!Topic.isValidId(channel) || !Command.echoable(channel)) {
            error(c, id, "invalid_request", "invalid channel name"); // §8.3: never echoed
            return;
        }
        if (Topic.isValidId(channel)) {
            c.unsubscribe(Topic.channel(channel));
        }
        reply(c, id, "unsubscribed", channel);
    }

    /**
     * §6 refresh: a valid token of the same {@code sub} replaces the permissions and the deadline; channels it
     * no longer grants end with {@code unsubscribed}. Another user's token closes 4401. A token that does not
     * verify is refused with {@code unauthorized} and the connection keeps its current token.
     */
    private void refresh(Connection<Void> c, String id, String token) {
        if (token == null) {
            error(c, id, "invalid_request", "missing data.token");
            return;
        }
        // §12: an opaque token goes to the auth proxy, with nothing else (the upgrade's headers are long gone)
        CompletableFuture<Authentication> checked = authenticator.authenticate(token,
                new Credentials(Endpoint.CHANNELS.label(), token, java.util.Map.of(), null));
        if (checked.isDone()) {
            refreshed(c, id, checked.join());
        } else {
            checked.whenComplete((a, t) -> c.execute(() -> {
                if (!c.isClosing()) {
                    refreshed(c, id, a);
                }
            }));
        }
    }

    private void refreshed(Connection<Void> c, String id, Authentication a) {
        if (a.failure() == Authentication.Failure.UNAVAILABLE) {
            error(c, id, "internal_error", "cannot check the token now; the current one stays");
            return;
        }
        if (!a.accepted()) {
            error(c, id, "unauthorized", "invalid token");
            return;
        }
        Principal next = a.principal();
        if (!next.subject().equals(c.principal().subject())) {
            error(c, id, "unauthorized", "token is for another user");
            c.close(Disconnect.UNAUTHORIZED);
            return;
        }
        c.refresh(next, authenticator.deadlineMillis(next));
        c.send(frame(c.alloc(), "refreshed", id, g -> expiresAt(g, next)));
        List<Topic> revoked = new ArrayList<>();
        for (String name : c.topics()) {
            Topic t = Topic.parse(name);
            if (t != null && t.kind() == Topic.Kind.CHANNEL && !ChannelPermissions.allows(next.channels(), t.id())
                    && !c.widens(t)) { // §12: what the control API granted is not the token's to take back
                revoked.add(t);
            }
        }
        for (Topic t : revoked) {
            c.unsubscribe(t);
            reply(c, null, "unsubscribed", t.id());
        }
    }

    /** {@code {"type":T,"id":ID,"data":{"channel":C}}}, or {@code "data":{}} when {@code channel} is null. */
    private static void reply(Connection<Void> c, String id, String type, String channel) {
        c.send(frame(c.alloc(), type, id, g -> {
            if (channel != null) {
                g.writeStringField("channel", channel);
            }
        }));
    }

    /** §6 errors: {@code {"type":"error","id":ID,"data":{"code":...,"message":...}}}; the id only when the command had one. */
    private static void error(Connection<Void> c, String id, String code, String message) {
        c.send(error(c.alloc(), id, code, message));
    }

    private static ByteBuf error(ByteBufAllocator alloc, String id, String code, String message) {
        return frame(alloc, "error", id, g -> {
            g.writeStringField("code", code);
            g.writeStringField("message", message);
        });
    }

    private interface DataFields {
        void write(JsonGenerator g) throws IOException;
    }

    private static ByteBuf frame(ByteBufAllocator alloc, String type, String rawId, DataFields data) {
        return TextFrames.json(alloc, g -> {
            g.writeStartObject();
            g.writeStringField("type", type);
            if (rawId != null) {
                g.writeFieldName("id");
                g.writeRawValue(rawId); // already valid JSON: the client's string (re-quoted) or number
            }
            g.writeObjectFieldStart("data");
            data.write(g);
            g.writeEndObject();
            g.writeEndObject();
        });
    }

    @Override
    public void onRateLimited(Connection<Void> c) {
        c.send(error(c.alloc(), null, "rate_limited", "more than 50 commands per second"));
    }

    /** §8.3: {@code {"type":"force_sync","channel":"c"}} for a channel whose events were lost. */
    @Override
    public ByteBuf forceSync(Topic topic, ByteBufAllocator alloc) {
        if (topic.kind() != Topic.Kind.CHANNEL) {
            return null;
        }
        return forceSyncAt(alloc, topic, history == null ? null : history.latest(topic.name()));
    }

    /** With history (§11), the position from which delivery goes on. */
    private static ByteBuf forceSyncAt(ByteBufAllocator alloc, Topic topic, History.Position p) {
        return TextFrames.json(alloc, g -> {
            g.writeStartObject();
            g.writeStringField("type", "force_sync");
            g.writeStringField("channel", topic.id());
            TextFrames.positionFields(g, p);
            g.writeEndObject();
        });
    }

    /**
     * §6 events on {@code channel:{name}}: {@code {"type":E,"channel":N,"data":...,"timestamp":T}}, rendered once
     * per publication ({@code timestamp} is when Herald took it; {@code data} is {@code {}} when the envelope
     * has none). Other topics render nothing on this endpoint.
     */
    @Override
    public ByteBuf render(Envelope e, ByteBufAllocator alloc) {
        if (e.topic().kind() == Topic.Kind.SESSION) {
            String timestamp = Replies.timestamp(clock.instant());
            return TextFrames.json(alloc, g -> { // §12: {"type":E,"data":...,"timestamp":T}, no channel
                g.writeStartObject();
                g.writeFieldName(TYPE);
                g.writeString(e.eventType());
                TextFrames.rawField(g, DATA, e.data() != null ? e.data() : EMPTY_OBJECT);
                g.writeFieldName(TIMESTAMP);
                g.writeString(timestamp);
                g.writeEndObject();
            });
        }
        if (e.topic().kind() != Topic.Kind.CHANNEL) {
            return null;
        }
        String timestamp = Replies.timestamp(clock.instant());
        return TextFrames.json(alloc, g -> {
            g.writeStartObject();
            g.writeFieldName(TYPE);
            g.writeString(e.eventType());
            g.writeFieldName(CHANNEL);
            g.writeString(e.topic().id());
            TextFrames.rawField(g, DATA, e.data() != null ? e.data() : EMPTY_OBJECT);
            g.writeFieldName(TIMESTAMP);
            g.writeString(timestamp);
            TextFrames.offsetField(g, e.offset()); // §11
            g.writeEndObject();
        });
    }
}
