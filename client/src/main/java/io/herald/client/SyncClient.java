package io.herald.client;

import java.net.URI;

/**
 * A client of the sync endpoint, §4 {@code /api/v1/sync/ws/{device_id}}: one connection per device. After
 * {@link #subscribe()} it receives {@code change}, {@code sync_preference_updated} and {@code force_sync} for
 * every share of its token and for its device, and sends {@code subscribe} again on each new connection.
 * The server closes 4403 when the token does not list the device; the client then stops (see
 * {@link ReconnectPolicy}).
 */
public final class SyncClient extends HeraldClient {
    private final String deviceId;
    private volatile boolean subscribed;

    SyncClient(URI server, String deviceId, TokenSource tokens, ClientOptions options, ClientResources resources) {
        super(server, new SyncDialect(requireValidId(deviceId, "deviceId")), tokens, options, resources);
        this.deviceId = deviceId;
    }

    public String deviceId() {
        return deviceId;
    }

    /** §4: nothing is delivered before it. Sends it now when connected, and on every later connection. */
    public void subscribe() {
        onLoop(() -> {
            if (!subscribed) {
                subscribed = true;
                send(SyncDialect.SUBSCRIBE);
            }
        });
    }

    public boolean isSubscribed() {
        return subscribed;
    }

    @Override
    void resubscribe() {
        if (subscribed) {
            send(SyncDialect.subscribe(positions())); // §11: each share resumes where it stopped
        }
    }
}
