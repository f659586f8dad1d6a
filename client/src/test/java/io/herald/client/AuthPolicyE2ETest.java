package io.herald.client;

import io.herald.config.ConfigKey;
import io.herald.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static io.herald.client.ConnectionState.CONNECTED;
import static io.herald.client.ConnectionState.CONNECTING;
import static io.herald.client.ConnectionState.DISCONNECTED;
import static io.herald.client.ConnectionState.RECONNECTING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The 4401/4403 policy ({@link ReconnectPolicy}): refused credentials stop the client instead of looping; a
 * token that expires on a good connection (§8.2) gets exactly one more attempt with a token fetched anew.
 */
class AuthPolicyE2ETest {
    /** No leeway, so a token of a second or two expires promptly (§8.2). */
    @RegisterExtension
    static final TestServer server = TestServer.perClass(b -> b.set(ConfigKey.JWT_LEEWAY, "0s"));

    private static final ClientOptions OPTIONS = ClientOptions.builder()
            .reconnectBaseDelay(Duration.ofMillis(50)).reconnectJitter(0).build();

    private static URI uri() {
        return URI.create(server.ws(""));
    }

    private static List<ConnectionState> statesUntilDisconnected(StateRecorder states) {
        return states.await("DISCONNECTED", es -> !es.isEmpty() && es.get(es.size() - 1).state() == DISCONNECTED)
                .stream().map(StateRecorder.Entry::state).toList();
    }

    @Test
    void anInvalidTokenStopsTheClientAfterOneAttemptAndConnectCanStartAgain() throws Exception {
        AtomicReference<String> token = new AtomicReference<>(Tokens.foreign("alice"));
        StateRecorder states = new StateRecorder();
        try (RealtimeClient client = HeraldClient.realtime(uri(), token::get, OPTIONS)) {
            client.addStateListener(states);
            CompletableFuture<Void> connected = client.connect();
            assertEquals(List.of(CONNECTING, DISCONNECTED), statesUntilDisconnected(states), "never admitted");
            StateChange last = states.entries().get(1).change();
            assertEquals(new Disconnect(Disconnect.Kind.CLOSED_BY_SERVER, 4401, "unauthorized"), last.disconnect(), "§5");
            assertTrue(last.gaveUp());
            assertEquals(DISCONNECTED, client.state());
            assertEquals(1, client.stats().attempts(), "no retry with the refused token");
            ExecutionException e = assertThrows(ExecutionException.class, () -> connected.get(10, TimeUnit.SECONDS));
            assertEquals(4401, assertInstanceOf(ClientStoppedException.class, e.getCause()).disconnect().closeCode());

            token.set(Tokens.user("alice"));
            client.connect().get(10, TimeUnit.SECONDS);
            assertEquals(CONNECTED, client.state());
            assertEquals(2, client.stats().attempts(), "nothing ran between giving up and the new connect()");
        }
    }

    @Test
    void aDeviceNotInTheTokenStopsTheSyncClientAndFailsItsPendingConnect() throws Exception {
        StateRecorder states = new StateRecorder();
        try (SyncClient client = HeraldClient.sync(uri(), "d1", () -> Tokens.device("bob", "d2", "s1"), OPTIONS)) {
            client.addStateListener(states);
            client.subscribe();
            client.connect();
            assertEquals(List.of(CONNECTING, DISCONNECTED), statesUntilDisconnected(states));
            Disconnect d = states.entries().get(1).change().disconnect();
            assertEquals(4403, d.closeCode(), "§4 device not registered");
            assertEquals("device not registered", d.reason());
            // A connect() issued after giving up starts again, and fails the same way.
            ExecutionException e = assertThrows(ExecutionException.class, () -> client.connect().get(10, TimeUnit.SECONDS));
            ClientStoppedException stopped = assertInstanceOf(ClientStoppedException.class, e.getCause());
            assertEquals(4403, stopped.disconnect().closeCode());
            assertEquals(2, client.stats().attempts());
        }
    }

    @Test
    void aTokenSourceThatFailsCountsAsAFailedAttemptAndIsRetriedWithBackoff() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        TokenSource source = () -> switch (calls.incrementAndGet()) {
            case 1 -> throw new IllegalStateException("token store not ready");
            case 2 -> "bad\r\nX-Injected: 1"; // refused by header validation, never sent
            default -> Tokens.user("alice");
        };
        StateRecorder states = new StateRecorder();
        try (RealtimeClient client = HeraldClient.realtime(uri(), source, OPTIONS)) {
            client.addStateListener(states);
            client.connect().get(10, TimeUnit.SECONDS);
            List<StateRecorder.Entry> es = states.entries();
            assertEquals(List.of(CONNECTING, RECONNECTING, CONNECTING, RECONNECTING, CONNECTING, CONNECTED),
                    es.stream().map(StateRecorder.Entry::state).toList());
            assertEquals(new Disconnect(Disconnect.Kind.CONNECT_FAILED, 1006, "no usable token: IllegalStateException"),
                    es.get(1).change().disconnect());
            assertEquals(Duration.ofMillis(50), es.get(1).change().retryIn());
            assertEquals(Duration.ofMillis(100), es.get(3).change().retryIn());
            assertEquals(3, calls.get());
        }
    }

    @Test
    void anExpiredTokenOnAGoodConnectionGetsOneRetryWithAFreshToken() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        TokenSource source = () -> calls.incrementAndGet() == 1
                ? Tokens.user("alice", List.of("s1"), List.of(), Duration.ofSeconds(2))
                : Tokens.user("alice", "s1");
        StateRecorder states = new StateRecorder();
        try (RealtimeClient client = HeraldClient.realtime(uri(), source, OPTIONS)) {
            client.addStateListener(states);
            Inbox inbox = Inbox.on(client);
            client.subscribe("s1");
            client.connect().get(10, TimeUnit.SECONDS);
            assertEquals(List.of("s1"), inbox.nextSubscribed());
            List<StateRecorder.Entry> es = states.awaitCount(CONNECTED, 2);
            assertEquals(List.of(CONNECTING, CONNECTED, RECONNECTING, CONNECTING, CONNECTED),
                    es.stream().map(StateRecorder.Entry::state).toList());
            assertEquals(new Disconnect(Disconnect.Kind.CLOSED_BY_SERVER, 4401, "token expired"), es.get(2).change().disconnect(), "§8.2");
            assertEquals(Duration.ofMillis(50), es.get(2).change().retryIn(), "good before: the base delay");
            assertEquals(List.of("s1"), inbox.nextSubscribed(), "and subscribed again with the new token");
            assertEquals(2, calls.get());
        }
    }

    @Test
    void anExpiredTokenThatTheSourceKeepsReturningStopsAfterTheOneRetry() throws Exception {
        String shortLived = Tokens.user("alice", List.of(), List.of(), Duration.ofSeconds(2));
        StateRecorder states = new StateRecorder();
        try (RealtimeClient client = HeraldClient.realtime(uri(), () -> shortLived, OPTIONS)) {
            client.addStateListener(states);
            client.connect().get(10, TimeUnit.SECONDS);
            assertEquals(List.of(CONNECTING, CONNECTED, RECONNECTING, CONNECTING, DISCONNECTED),
                    statesUntilDisconnected(states));
            List<StateRecorder.Entry> es = states.entries();
            assertEquals("token expired", es.get(2).change().disconnect().reason());
            assertEquals(new Disconnect(Disconnect.Kind.CLOSED_BY_SERVER, 4401, "unauthorized"), es.get(4).change().disconnect());
            assertTrue(es.get(4).change().gaveUp());
            assertEquals(2, client.stats().attempts());
        }
    }
}
