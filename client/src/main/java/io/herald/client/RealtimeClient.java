package io.herald.client;

import java.net.URI;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;

/**
 * A client of the realtime endpoint, §5 {@code /api/v1/realtime/ws}: subscribes shares one by one and receives
 * their events, plus the user's own and broadcast events, which need no subscription. Every share subscribed is
 * subscribed again on each new connection, until {@link #unsubscribe(String)} or until the server refuses it
 * ({@code forbidden}: the token does not list it, and retrying would not help).
 */
public final class RealtimeClient extends HeraldClient {
    private final Set<String> shares = new CopyOnWriteArraySet<>();

    RealtimeClient(URI server, TokenSource tokens, ClientOptions options, ClientResources resources) {
        super(server, new RealtimeDialect(), tokens, options, resources);
    }

    /** Subscribes now when connected, and on every later connection. */
    public void subscribe(String shareId) {
        requireValidId(shareId, "shareId");
        onLoop(() -> {
            if (shares.add(shareId)) {
                send(RealtimeDialect.subscribe(shareId));
            }
        });
    }

    public void unsubscribe(String shareId) {
        requireValidId(shareId, "shareId");
        onLoop(() -> {
            if (shares.remove(shareId)) {
                forgetPosition(shareId);
                send(RealtimeDialect.unsubscribe(shareId));
            }
        });
    }

    /** The shares this client keeps subscribed (requested, not refused), whether or not connected now. */
    public Set<String> subscriptions() {
        return Set.copyOf(shares);
    }

    @Override
    void resubscribe() {
        for (String share : shares) {
            send(RealtimeDialect.subscribe(share, position(share))); // §11: resume where it stopped
        }
    }

    @Override
    ServerError onServerError(ServerError e) {
        if ("forbidden".equals(e.code()) && e.target() != null) {
            shares.remove(e.target());
        }
        return e;
    }
}
