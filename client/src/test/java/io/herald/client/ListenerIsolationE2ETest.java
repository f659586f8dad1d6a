package io.herald.client;

import io.herald.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.herald.client.ConnectionState.CONNECTED;
import static io.herald.client.ConnectionState.CONNECTING;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** A listener that throws is logged and skipped: other listeners, later events and the connection carry on. */
class ListenerIsolationE2ETest {
    @RegisterExtension
    static final TestServer server = TestServer.perClass();

    @Test
    void throwingListenersBreakNeitherOtherListenersNorLaterEventsNorTheConnection() throws Exception {
        StateRecorder states = new StateRecorder();
        try (RealtimeClient client = HeraldClient.realtime(URI.create(server.ws("")), () -> Tokens.user("alice", "s1"),
                ClientOptions.create())) {
            client.addStateListener(c -> {
                throw new IllegalStateException("state listener bug");
            });
            client.addStateListener(states);
            client.addSubscriptionListener(t -> {
                throw new IllegalStateException("subscription listener bug");
            });
            client.addEventListener(e -> {
                throw new IllegalStateException("event listener bug on " + e.type());
            });
            Inbox inbox = Inbox.on(client); // added after the throwing ones
            client.addEventListener(e -> {
                throw new AssertionError("an Error is contained as well");
            });
            client.subscribe("s1");
            client.connect().get(10, TimeUnit.SECONDS);
            assertEquals(List.of("s1"), inbox.nextSubscribed());
            for (int i = 1; i <= 3; i++) {
                server.publish("{\"topic\":\"share:s1\",\"event_type\":\"file_deleted\",\"data\":{\"file_id\":\"f" + i + "\"}}");
            }
            for (int i = 1; i <= 3; i++) {
                assertEquals(new HeraldEvent("file_deleted", "s1", null, "{\"file_id\":\"f" + i + "\"}"), inbox.nextEvent());
            }
            server.publish("{\"topic\":\"user:alice\",\"event_type\":\"on_config_update\"}");
            assertEquals(new HeraldEvent("on_config_update", null, null, null), inbox.nextEvent(), "§5 user topic, no data");
            assertEquals(List.of(CONNECTING, CONNECTED), states.states(), "the connection never dropped");
            assertEquals(CONNECTED, client.state());
            assertEquals(4, client.stats().events());
            assertEquals(1, client.stats().connections());
        }
    }
}
