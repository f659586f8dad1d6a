package io.herald.client;

import io.herald.testing.TestServer;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.herald.client.ConnectionState.CONNECTED;
import static io.herald.client.ConnectionState.CONNECTING;
import static io.herald.client.ConnectionState.DISCONNECTED;
import static io.herald.client.ConnectionState.RECONNECTING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reconnect with backoff across real server restarts (§8.6 closes 1001, then the port refuses), re-subscription
 * (§4, §5) proven by events published after the restart, and the backoff reset after a good connection.
 */
class ReconnectE2ETest {
    private static final Duration BASE = Duration.ofMillis(100);
    private static final Duration CAP = Duration.ofMillis(500);
    /** Scheduling on a busy 2-core machine: how late an attempt may start after its delay. */
    private static final long LATE_MILLIS = 1500;

    private static ClientOptions options() {
        return ClientOptions.builder().reconnectBaseDelay(BASE).reconnectMaxDelay(CAP).reconnectJitter(0).build();
    }

    private static URI uri(int port) {
        return URI.create("ws://127.0.0.1:" + port);
    }

    private static TestServer startOn(int port) {
        return TestServer.start(b -> b.port(port));
    }

    private static long expectedDelayMillis(int n) {
        return Math.min(BASE.toMillis() << n, CAP.toMillis());
    }

    @Test
    void realtimeBacksOffExponentiallyToTheCapResubscribesAndResetsAfterAGoodConnection() throws Exception {
        int port = Ports.free();
        TestServer server = startOn(port);
        StateRecorder states = new StateRecorder();
        try (RealtimeClient client = HeraldClient.realtime(uri(port), () -> Tokens.user("alice", "s1"), options())) {
            client.addStateListener(states);
            Inbox inbox = Inbox.on(client);
            client.subscribe("s1");
            client.connect().get(10, TimeUnit.SECONDS);
            assertEquals(List.of("s1"), inbox.nextSubscribed());
            server.publish("{\"topic\":\"share:s1\",\"event_type\":\"file_created\",\"data\":{\"id\":\"f1\"}}");
            assertEquals(new HeraldEvent("file_created", "s1", null, "{\"id\":\"f1\"}"), inbox.nextEvent());

            // Outage 1: long enough for six retries (100, 200, 400, 500, 500, 500 ms).
            int mark = states.entries().size();
            server.close();
            states.await("six retries", es -> es.subList(mark, es.size()).stream().filter(e -> e.state() == RECONNECTING).count() >= 6);
            server = startOn(port);
            List<StateRecorder.Entry> all = states.await("connected again",
                    es -> es.subList(mark, es.size()).stream().anyMatch(e -> e.state() == CONNECTED));
            assertEquals(List.of("s1"), inbox.nextSubscribed(), "§5: the share is subscribed again on the new connection");
            server.publish("{\"topic\":\"share:s1\",\"event_type\":\"file_created\",\"data\":{\"id\":\"f2\"}}");
            assertEquals(new HeraldEvent("file_created", "s1", null, "{\"id\":\"f2\"}"), inbox.nextEvent());

            List<StateRecorder.Entry> outage = all.subList(mark, all.size());
            String story = StateRecorder.describe(outage);
            // CONNECTED -> RECONNECTING (1001 going away, §8.6) -> CONNECTING -> RECONNECTING (refused) ... -> CONNECTED
            assertEquals(Disconnect.Kind.CLOSED_BY_SERVER, outage.get(0).change().disconnect().kind(), story);
            assertEquals(1001, outage.get(0).change().disconnect().closeCode(), story);
            for (int i = 0; i < outage.size() - 1; i++) {
                assertEquals(i % 2 == 0 ? RECONNECTING : CONNECTING, outage.get(i).state(), "entry " + i + story);
            }
            assertEquals(CONNECTED, outage.get(outage.size() - 1).state(), story);
            List<Long> delays = new ArrayList<>();
            for (int i = 0; i < outage.size() - 1; i += 2) {
                StateRecorder.Entry retry = outage.get(i);
                StateRecorder.Entry attempt = outage.get(i + 1);
                long delay = retry.change().retryIn().toMillis();
                delays.add(delay);
                long waited = TimeUnit.NANOSECONDS.toMillis(attempt.atNanos() - retry.atNanos());
                assertTrue(waited >= delay && waited <= delay + LATE_MILLIS,
                        "attempt " + (i / 2) + " started " + waited + " ms after a " + delay + " ms delay" + story);
                if (i > 0) {
                    assertEquals(Disconnect.Kind.CONNECT_FAILED, retry.change().disconnect().kind(), story);
                }
            }
            assertTrue(delays.size() >= 6, story);
            for (int n = 0; n < delays.size(); n++) {
                assertEquals(expectedDelayMillis(n), delays.get(n), "delay " + n + " of " + delays);
            }
            assertEquals(List.of(100L, 200L, 400L, 500L, 500L, 500L), delays.subList(0, 6), "doubling, capped at 500 ms");

            // Outage 2, after a good connection: the backoff starts again from the base delay.
            int mark2 = states.entries().size();
            server.close();
            List<StateRecorder.Entry> again = states.await("two retries", es -> es.subList(mark2, es.size()).stream()
                    .filter(e -> e.state() == RECONNECTING).count() >= 2);
            List<Long> delays2 = again.subList(mark2, again.size()).stream()
                    .filter(e -> e.state() == RECONNECTING).limit(2).map(e -> e.change().retryIn().toMillis()).toList();
            assertEquals(List.of(100L, 200L), delays2, "reset to the base delay after a good connection");
        } finally {
            server.close();
        }
        assertEquals(DISCONNECTED, states.entries().get(states.entries().size() - 1).state(), "close() ends DISCONNECTED");
        assertEquals(Disconnect.Kind.CLOSED_BY_CLIENT, states.entries().get(states.entries().size() - 1).change().disconnect().kind());
    }

    @Test
    void syncSendsSubscribeAgainAfterARestart() throws Exception {
        int port = Ports.free();
        TestServer server = startOn(port);
        StateRecorder states = new StateRecorder();
        try (SyncClient client = HeraldClient.sync(uri(port), "d1", () -> Tokens.device("bob", "d1", "s1", "s2"), options())) {
            client.addStateListener(states);
            Inbox inbox = Inbox.on(client);
            client.subscribe();
            client.connect().get(10, TimeUnit.SECONDS);
            assertEquals(List.of("s1", "s2"), inbox.nextSubscribed());
            server.publish("{\"topic\":\"share:s2\",\"event_type\":\"change\",\"data\":{\"rev\":1}}");
            assertEquals(new HeraldEvent("change", "s2", null, "{\"rev\":1}"), inbox.nextEvent());

            server.close();
            states.awaitCount(RECONNECTING, 2);
            server = startOn(port);
            states.awaitCount(CONNECTED, 2);
            assertEquals(List.of("s1", "s2"), inbox.nextSubscribed(), "§4: subscribe sent again");
            server.publish("{\"topic\":\"share:s1\",\"event_type\":\"change\",\"data\":{\"rev\":2}}");
            assertEquals(new HeraldEvent("change", "s1", null, "{\"rev\":2}"), inbox.nextEvent());
            server.publish("{\"topic\":\"device:d1\",\"event_type\":\"sync_preference_updated\",\"share_id\":\"s2\"}");
            assertEquals(new HeraldEvent("sync_preference_updated", "s2", null, null), inbox.nextEvent(),
                    "the device topic is subscribed again too");
            assertEquals(CONNECTING, states.entries().get(0).state());
        } finally {
            server.close();
        }
    }

    @Test
    void aShareTheServerRefusesIsNotSubscribedAgain() throws Exception {
        int port = Ports.free();
        TestServer server = startOn(port);
        StateRecorder states = new StateRecorder();
        try (RealtimeClient client = HeraldClient.realtime(uri(port), () -> Tokens.user("alice", "s1"), options())) {
            client.addStateListener(states);
            Inbox inbox = Inbox.on(client);
            client.subscribe("s1");
            client.subscribe("not-mine");
            client.connect().get(10, TimeUnit.SECONDS);
            assertEquals(List.of("s1"), inbox.nextSubscribed());
            ServerError refused = inbox.nextError();
            assertEquals("forbidden", refused.code());
            assertEquals("not-mine", refused.target());
            assertEquals(java.util.Set.of("s1"), client.subscriptions());

            server.close();
            server = startOn(port);
            states.awaitCount(CONNECTED, 2);
            assertEquals(List.of("s1"), inbox.nextSubscribed());
            // Had "not-mine" been re-sent with s1, the server (which answers it at once, on the connection's own
            // event loop) would have written its error before this event, published only after the answer above.
            server.publish("{\"topic\":\"share:s1\",\"event_type\":\"file_updated\",\"data\":{}}");
            assertEquals(new HeraldEvent("file_updated", "s1", null, "{}"), inbox.nextEvent());
            assertEquals(null, inbox.errors.poll(), "no second forbidden: the refused share was dropped");
        } finally {
            server.close();
        }
    }
}
