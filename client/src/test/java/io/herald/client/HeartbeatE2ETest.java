package io.herald.client;

import io.herald.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.herald.client.ConnectionState.CONNECTED;
import static io.herald.client.ConnectionState.CONNECTING;
import static io.herald.client.ConnectionState.RECONNECTING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * §8.1 heartbeat over real sockets: Herald answers each dialect's JSON ping, so the connection stays up; a server
 * that stops answering is dropped within ping interval + pong timeout, and the client reconnects.
 */
class HeartbeatE2ETest {
    private static final Duration PING = Duration.ofMillis(150);
    private static final Duration PONG_TIMEOUT = Duration.ofMillis(400);

    @RegisterExtension
    static final TestServer server = TestServer.perClass();

    private static ClientOptions options() {
        return ClientOptions.builder().pingInterval(PING).pongTimeout(PONG_TIMEOUT)
                .reconnectBaseDelay(Duration.ofMillis(100)).reconnectJitter(0).build();
    }

    /** Waits for {@code n} pongs: each one proves the server understood this dialect's ping. */
    private static void awaitPongs(HeraldClient client, long n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (client.stats().pongsReceived() < n) {
            assertTrue(System.nanoTime() < deadline, "pongs so far: " + client.stats());
            Thread.sleep(20);
        }
    }

    @Test
    void heraldAnswersTheRealtimePingSoTheConnectionStaysUp() throws Exception {
        StateRecorder states = new StateRecorder();
        try (RealtimeClient client = HeraldClient.realtime(URI.create(server.ws("")), () -> Tokens.user("alice"), options())) {
            client.addStateListener(states);
            client.connect().get(10, TimeUnit.SECONDS);
            awaitPongs(client, 6); // 6 x 150 ms: well past the 400 ms pong timeout
            assertEquals(List.of(CONNECTING, CONNECTED), states.states(), "a pong timeout would have reconnected" + StateRecorder.describe(states.entries()));
            assertEquals(1, client.stats().connections());
        }
    }

    @Test
    void heraldAnswersTheSyncPingSoTheConnectionStaysUp() throws Exception {
        StateRecorder states = new StateRecorder();
        try (SyncClient client = HeraldClient.sync(URI.create(server.ws("")), "d1", () -> Tokens.device("bob", "d1", "s1"), options())) {
            client.addStateListener(states);
            client.connect().get(10, TimeUnit.SECONDS);
            awaitPongs(client, 6);
            assertEquals(List.of(CONNECTING, CONNECTED), states.states(), StateRecorder.describe(states.entries()));
        }
    }

    @Test
    void aServerThatStopsAnsweringPingsIsDroppedWithinTheTimeoutAndReconnected() throws Exception {
        AtomicInteger answered = new AtomicInteger();
        // Answers the first three pings (all on the first connection), then never again.
        try (FakeWebSocketServer fake = FakeWebSocketServer.scripted(0, RealtimeDialect.PATH,
                List.of("{\"type\":\"connected\",\"user_id\":\"alice\",\"timestamp\":\"t\"}"),
                text -> text.equals(RealtimeDialect.PING) && answered.incrementAndGet() <= 3
                        ? List.of("{\"type\":\"pong\"}") : List.of())) {
            StateRecorder states = new StateRecorder();
            try (RealtimeClient client = HeraldClient.realtime(URI.create("ws://127.0.0.1:" + fake.port()),
                    TokenSource.of("tok-123"), options())) {
                client.addStateListener(states);
                client.connect().get(10, TimeUnit.SECONDS);
                // §2: the token goes in the header, not the URL; §8.5: a non-browser client sends no Origin
                assertEquals(new FakeWebSocketServer.Handshake(RealtimeDialect.PATH, "Bearer tok-123", null),
                        fake.pollHandshake(10_000));
                List<StateRecorder.Entry> es = states.awaitCount(RECONNECTING, 1);
                StateRecorder.Entry up = es.get(1);
                StateRecorder.Entry down = es.get(2);
                assertEquals(CONNECTED, up.state());
                assertEquals(RECONNECTING, down.state());
                assertEquals(Disconnect.Kind.PONG_TIMEOUT, down.change().disconnect().kind());
                assertEquals(3, client.stats().pongsReceived(), "pongs came until the server stopped answering");
                long millis = TimeUnit.NANOSECONDS.toMillis(down.atNanos() - up.atNanos());
                // Pings at 150, 300, 450 (answered), 600 (not): dropped 400 ms after that one, at about 1000 ms.
                long expected = 4 * PING.toMillis() + PONG_TIMEOUT.toMillis();
                assertTrue(millis >= expected - 50 && millis <= expected + 2000,
                        "dropped " + millis + " ms after connecting, expected about " + expected);
                states.awaitCount(CONNECTED, 2); // and it comes back
                for (int i = 0; i < 4; i++) {
                    assertEquals(RealtimeDialect.PING, fake.poll(10_000), "§5 ping " + i);
                }
            }
        }
    }

    @Test
    void aSyncServerSilentFromTheStartIsNeverAdmittedAndDroppedAfterThePongTimeoutOfTheProbe() throws Exception {
        try (FakeWebSocketServer silent = FakeWebSocketServer.silent(0, SyncDialect.PATH_PREFIX + "d1")) {
            StateRecorder states = new StateRecorder();
            try (SyncClient client = HeraldClient.sync(URI.create("ws://127.0.0.1:" + silent.port()), "d1",
                    TokenSource.of("t"), options())) {
                client.addStateListener(states);
                client.connect();
                List<StateRecorder.Entry> es = states.awaitCount(RECONNECTING, 2);
                assertEquals(List.of(CONNECTING, RECONNECTING, CONNECTING, RECONNECTING),
                        es.subList(0, 4).stream().map(StateRecorder.Entry::state).toList());
                assertEquals(SyncDialect.PING, silent.poll(10_000), "§4 ping, sent at once as the admission probe");
                long millis = TimeUnit.NANOSECONDS.toMillis(es.get(1).atNanos() - es.get(0).atNanos());
                long expected = PONG_TIMEOUT.toMillis(); // plus connect and upgrade
                assertTrue(millis >= expected && millis <= expected + 2000, millis + " ms, expected about " + expected);
                assertEquals(Disconnect.Kind.PONG_TIMEOUT, es.get(1).change().disconnect().kind());
                assertEquals(Duration.ofMillis(100), es.get(1).change().retryIn());
                assertEquals(Duration.ofMillis(200), es.get(3).change().retryIn(),
                        "never admitted: the backoff keeps growing");
                assertEquals(0, client.stats().connections());
            }
        }
    }
}
