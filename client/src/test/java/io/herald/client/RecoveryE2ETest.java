package io.herald.client;

import io.herald.client.batch.Batch;
import io.herald.client.batch.PendingChangesBatcher;
import io.herald.config.ConfigKey;
import io.herald.testing.TcpRelay;
import io.herald.testing.TestServer;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * §11 from the client's side: {@code herald-client} keeps each share's and channel's position and resumes from it
 * ({@code since}) on every new connection, so that events published while it was cut off arrive, in order and once,
 * and its pending-changes batcher sees a {@code force_sync} only when the history no longer covers the gap. The
 * connection is cut by a TCP relay in front of a real Herald (history on).
 */
class RecoveryE2ETest {
    static ClientOptions options() {
        return ClientOptions.builder().reconnectBaseDelay(Duration.ofMillis(100)).reconnectMaxDelay(Duration.ofMillis(200))
                .reconnectJitter(0).build();
    }

    static TestServer server(int historySize) {
        return TestServer.start(b -> b.set(ConfigKey.HISTORY_SIZE, Integer.toString(historySize)));
    }

    static URI via(TcpRelay relay) {
        return URI.create("ws://127.0.0.1:" + relay.port());
    }

    static void publish(TestServer s, String topic, String type, int n) {
        s.publish("{\"topic\":\"" + topic + "\",\"event_type\":\"" + type + "\",\"data\":{\"n\":" + n + "}}");
    }

    /** Cuts the client off, publishes {@code during} while it is away, and lets it back in. */
    static void cutOff(TcpRelay relay, StateRecorder states, Runnable during) {
        int mark = states.entries().size();
        relay.cut();
        states.await("cut off", es -> es.subList(mark, es.size()).stream().anyMatch(e -> e.state() == ConnectionState.RECONNECTING));
        during.run();
        relay.heal();
        states.await("back", es -> es.subList(mark, es.size()).stream().anyMatch(e -> e.state() == ConnectionState.CONNECTED));
    }

    @Test
    void realtimeResumesAndItsBatcherSeesTheMissedChangesWithoutForceSync() throws Exception {
        LinkedBlockingQueue<Batch> batches = new LinkedBlockingQueue<>();
        try (TestServer s = server(50); TcpRelay relay = new TcpRelay(s.port());
             PendingChangesBatcher batcher = PendingChangesBatcher.builder(batches::add)
                     .quietPeriod(Duration.ofMillis(100)).uploadLike(e -> false).build();
             RealtimeClient client = HeraldClient.realtime(via(relay), () -> Tokens.user("rae", "s1"), options())) {
            StateRecorder states = new StateRecorder();
            client.addStateListener(states);
            client.addEventListener(batcher);
            Inbox inbox = Inbox.on(client);
            client.subscribe("s1");
            client.connect().get(10, TimeUnit.SECONDS);
            inbox.nextSubscribed();
            publish(s, "share:s1", "file_updated", 1);
            assertEquals("{\"n\":1}", inbox.nextEvent().data());
            assertEquals(1, client.positions().get("s1").offset());

            cutOff(relay, states, () -> {
                publish(s, "share:s1", "file_updated", 2);
                publish(s, "share:s1", "file_updated", 3);
            });
            inbox.nextSubscribed();
            assertEquals("{\"n\":2}", inbox.nextEvent().data(), "resumed: the missed events, in order");
            assertEquals("{\"n\":3}", inbox.nextEvent().data());
            assertEquals(3, client.positions().get("s1").offset());
            List<String> seen = new ArrayList<>();
            for (Batch b; (b = batches.poll(1, TimeUnit.SECONDS)) != null; ) {
                b.events().forEach(e -> seen.add(e.type() + e.data()));
            }
            assertEquals(List.of("file_updated{\"n\":1}", "file_updated{\"n\":2}", "file_updated{\"n\":3}"), seen,
                    "the batcher got the missed changes and no force_sync");
        }
    }

    @Test
    void aGapPastTheHistoryEndsInForceSyncWithItsPosition() throws Exception {
        try (TestServer s = server(2); TcpRelay relay = new TcpRelay(s.port());
             RealtimeClient client = HeraldClient.realtime(via(relay), () -> Tokens.user("gil", "g1"), options())) {
            StateRecorder states = new StateRecorder();
            client.addStateListener(states);
            Inbox inbox = Inbox.on(client);
            client.subscribe("g1");
            client.connect().get(10, TimeUnit.SECONDS);
            inbox.nextSubscribed();
            cutOff(relay, states, () -> {
                for (int n = 1; n <= 5; n++) {
                    publish(s, "share:g1", "file_updated", n); // 2 kept: the client's gap (1..5) is not covered
                }
            });
            inbox.nextSubscribed();
            HeraldEvent forceSync = inbox.nextEvent();
            assertEquals("force_sync", forceSync.type());
            assertEquals(5, client.positions().get("g1").offset(), "delivery goes on from the force_sync's position");
        }
    }

    @Test
    void syncAndChannelsResumeToo() throws Exception {
        try (TestServer s = server(50); TcpRelay relay = new TcpRelay(s.port());
             SyncClient sync = HeraldClient.sync(via(relay), "d1", () -> Tokens.device("sue", "d1", "a1", "a2"), options());
             ChannelsClient channels = HeraldClient.channels(via(relay), () -> Tokens.channels("sue", Duration.ofHours(1), "room:*"),
                     options())) {
            StateRecorder syncStates = new StateRecorder();
            StateRecorder channelStates = new StateRecorder();
            sync.addStateListener(syncStates);
            channels.addStateListener(channelStates);
            Inbox syncInbox = Inbox.on(sync);
            Inbox channelInbox = Inbox.on(channels);
            sync.subscribe();
            sync.connect().get(10, TimeUnit.SECONDS);
            channels.subscribe("room:x");
            channels.connect().get(10, TimeUnit.SECONDS);
            syncInbox.nextSubscribed();
            channelInbox.nextSubscribed();
            assertEquals(0, sync.positions().get("a2").offset(), "subscribed names every share's position");
            publish(s, "share:a1", "change", 1);
            publish(s, "channel:room:x", "msg", 1);
            assertEquals("{\"n\":1}", syncInbox.nextEvent().data());
            assertEquals("{\"n\":1}", channelInbox.nextEvent().data());

            int syncMark = syncStates.entries().size();
            cutOff(relay, channelStates, () -> {
                publish(s, "share:a1", "change", 2);
                publish(s, "share:a2", "change", 3);
                publish(s, "channel:room:x", "msg", 2);
            });
            syncStates.await("sync back", es -> es.subList(syncMark, es.size()).stream()
                    .anyMatch(e -> e.state() == ConnectionState.CONNECTED));
            List<String> missed = new ArrayList<>();
            missed.add(syncInbox.nextEvent().shareId() + syncInbox.nextEvent().shareId());
            assertTrue(List.of("a1a2", "a2a1").contains(missed.get(0)), "both shares' missed changes: " + missed);
            HeraldEvent msg = channelInbox.nextEvent();
            assertEquals("msg", msg.type());
            assertEquals("{\"n\":2}", msg.data());
            assertEquals(2, sync.positions().get("a1").offset());
            assertEquals(1, sync.positions().get("a2").offset());
            assertEquals(2, channels.positions().get("room:x").offset());
            assertFalse(sync.positions().isEmpty());
        }
    }
}
