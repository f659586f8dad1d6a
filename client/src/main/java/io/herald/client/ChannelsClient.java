package io.herald.client;

import java.net.URI;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.function.LongFunction;

/**
 * A client of the channels endpoint, §6 {@code /ws}. Every command carries an {@code id}, so an error answer
 * (which names no channel) is matched to the channel it concerns. Channels are subscribed again on each new
 * connection, except those the server refused ({@code unauthorized}, {@code subscription_failed}) or ended after a
 * {@code refresh} (§6: an {@code unsubscribed} the client did not ask for).
 */
public final class ChannelsClient extends HeraldClient {
    private final Set<String> channels = new CopyOnWriteArraySet<>();
    /** Commands awaiting their answer on the current connection: id → channel. Event loop only. */
    private final Map<String, Pending> pending = new HashMap<>();
    private long nextId = 1;

    private record Pending(String command, String channel) {
    }

    ChannelsClient(URI server, TokenSource tokens, ClientOptions options, ClientResources resources) {
        super(server, new ChannelsDialect(), tokens, options, resources);
    }

    /** Subscribes now when connected, and on every later connection. */
    public void subscribe(String channel) {
        requireValidId(channel, "channel");
        onLoop(() -> {
            if (channels.add(channel)) {
                sendSubscribe(channel);
            }
        });
    }

    public void unsubscribe(String channel) {
        requireValidId(channel, "channel");
        onLoop(() -> {
            if (channels.remove(channel)) {
                forgetPosition(channel);
                sendCommand("unsubscribe", channel, id -> ChannelsDialect.unsubscribe(id, channel));
            }
        });
    }

    /**
     * §6 {@code refresh}: hands the open connection a new token (same {@code sub}), which replaces its
     * permissions. Later connections take their token from the {@link TokenSource}, which should return the
     * new one too. Without an open connection there is nothing to refresh and nothing is sent.
     */
    public void refresh(String token) {
        if (token == null || token.isEmpty()) {
            throw new IllegalArgumentException("token");
        }
        onLoop(() -> sendCommand("refresh", null, id -> ChannelsDialect.refresh(id, token)));
    }

    /** The channels this client keeps subscribed, whether or not connected now. */
    public Set<String> subscriptions() {
        return Set.copyOf(channels);
    }

    private void sendSubscribe(String channel) {
        Position since = position(channel); // §11: resume where it stopped
        sendCommand("subscribe", channel, id -> ChannelsDialect.subscribe(id, channel, since));
    }

    /** Sends a command with the next id when there is a connection, remembering what the id was for. */
    private void sendCommand(String command, String channel, LongFunction<String> frame) {
        if (canSend()) {
            long id = nextId++;
            send(frame.apply(id));
            pending.put(Long.toString(id), new Pending(command, channel));
        }
    }

    @Override
    void resubscribe() {
        for (String channel : channels) {
            sendSubscribe(channel);
        }
    }

    @Override
    void onSubscribed(ServerMessage.Subscribed s) {
        if (s.id() != null) {
            pending.remove(s.id());
        }
    }

    @Override
    void onRefreshed(ServerMessage.Refreshed r) {
        if (r.id() != null) {
            pending.remove(r.id());
        }
    }

    @Override
    void onUnsubscribed(ServerMessage.Unsubscribed u) {
        Pending p = u.id() == null ? null : pending.remove(u.id());
        if (p == null && u.target() != null) {
            channels.remove(u.target()); // §6: a refresh took the permission away
        }
    }

    @Override
    ServerError onServerError(ServerError e) {
        Pending p = e.id() == null ? null : pending.remove(e.id());
        if (p == null || p.channel() == null) {
            return e;
        }
        if ("subscribe".equals(p.command())
                && ("unauthorized".equals(e.code()) || "subscription_failed".equals(e.code()))) {
            channels.remove(p.channel()); // retrying on the next connection would be refused again
        }
        return new ServerError(e.code(), e.target() != null ? e.target() : p.channel(), e.message(), e.id());
    }

    @Override
    void onConnectionEnded() {
        pending.clear(); // ids are per connection
    }
}
