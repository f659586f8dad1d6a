package io.herald.e2e;

import io.herald.config.ConfigKey;
import io.herald.testing.NeverReadingClient;
import io.herald.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * §8.3 "the bound covers everything Herald queues for a connection": hostile clients that make Herald answer
 * (WebSocket pings, Engine.IO pings, long-polling pings) and never read what it answers. Herald's memory for them
 * stays bounded: a WebSocket's reads pause while its replies are not taken, a long-polling session that piles up
 * answers nobody polls ends as a slow consumer.
 */
class OutboundBoundE2ETest {
    static final int CLIENTS = 3;
    /** Far more than the kernel's socket buffers absorb in the test's few seconds, with a raised message limit. */
    static final int PAYLOAD = 200_000;
    /** Under §8.4's 50 commands a second, so that only the outbound bound can stop them. */
    static final int PER_SECOND = 40;
    static final long FLOOD_MILLIS = 3_000;
    /** Three connections' replies kept by Herald at the end: a few read buffers each at most, never the flood. */
    static final long BOUND = 8L * 1024 * 1024;

    @RegisterExtension
    static final TestServer server = TestServer.perClass(b -> b.set(ConfigKey.MAX_FRAME, "262144"));

    /**
     * Three clients send {@code frame} at 40 a second and never read; returns the bytes Herald then holds written
     * and not taken by their sockets.
     */
    static long floodAndMeasure(String pathAndQuery, byte[] frame) throws Exception {
        List<NeverReadingClient> clients = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        long[] written = new long[CLIENTS];
        try {
            for (int i = 0; i < CLIENTS; i++) {
                NeverReadingClient c = NeverReadingClient.open(server.port(), pathAndQuery);
                clients.add(c);
                int k = i;
                Thread t = new Thread(() -> {
                    try {
                        written[k] = c.flood(frame, PER_SECOND, FLOOD_MILLIS);
                    } catch (Exception e) {
                        written[k] = -1;
                    }
                });
                threads.add(t);
                t.start();
            }
            for (Thread t : threads) {
                t.join();
            }
            Thread.sleep(200);
            long queued = server.gateway().connections().outboundBytes().get();
            System.out.printf("%s: clients wrote %s bytes; Herald holds %d KiB for them%n",
                    pathAndQuery.substring(0, pathAndQuery.indexOf('?')), Arrays.toString(written), queued / 1024);
            for (long w : written) {
                assertTrue(w > 0, "no client was closed: only the bound may stop them");
            }
            return queued;
        } finally {
            for (NeverReadingClient c : clients) {
                c.close();
            }
        }
    }

    @Test
    void engineIoPingsWithLargePayloadsFromClientsThatNeverReadKeepHeraldBounded() throws Exception {
        // Engine.IO answers a client's "2<payload>" with "3<payload>" (§7): as much back as came in.
        byte[] payload = new byte[PAYLOAD];
        Arrays.fill(payload, (byte) 'p');
        payload[0] = '2';
        long queued = floodAndMeasure("/socket.io/?EIO=4&transport=websocket&token=" + server.userToken("eio"),
                NeverReadingClient.frame(0x1, payload));
        assertTrue(queued < BOUND, "Herald holds " + queued + " bytes of answers nobody reads");
    }

    @Test
    void channelsPingsWithLargeIdsAreNotEchoedAndKeepHeraldBounded() throws Exception {
        // §8.3: an id over 128 characters is invalid_request, and is never echoed.
        byte[] ping = NeverReadingClient.frame(0x1, ("{\"type\":\"ping\",\"id\":\"" + "i".repeat(PAYLOAD) + "\"}")
                .getBytes(StandardCharsets.UTF_8));
        long queued = floodAndMeasure("/ws?token=" + server.token("chan", List.of(), List.of(), List.of()), ping);
        assertTrue(queued < BOUND, "Herald holds " + queued + " bytes of answers nobody reads");
    }

    static HttpResponse<String> polling(String method, String query, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.http("/socket.io/?EIO=4&transport=polling" + query)))
                .timeout(Duration.ofSeconds(20));
        return TestServer.send(body == null ? b.GET().build() : b.POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    static long usedHeapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
        }
        Runtime r = Runtime.getRuntime();
        return r.totalMemory() - r.freeMemory();
    }

    @Test
    void longPollingPostsOfPingsThatNobodyPollsEndTheSessionInsteadOfGrowingTheHeap() throws Exception {
        HttpResponse<String> open = polling("GET", "&token=" + server.userToken("poller"), null);
        assertEquals(200, open.statusCode());
        String sid = open.body().replaceAll(".*\"sid\":\"([^\"]+)\".*", "$1");
        assertEquals("ok", polling("POST", "&sid=" + sid, "40").body());
        assertTrue(polling("GET", "&sid=" + sid, null).body().startsWith("40{"));
        server.publish("{\"topic\":\"user:poller\",\"event_type\":\"kept\"}"); // queued, never polled yet
        String pings = ("2" + "\u001e").repeat(333_333) + "2"; // just under 1 MB: 333,334 pings, each answered "3"
        long before = usedHeapAfterGc();
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            statuses.add(polling("POST", "&sid=" + sid, pings).statusCode());
        }
        long growth = usedHeapAfterGc() - before;
        System.out.printf("polling pings: POST statuses %s, heap grew %d KiB%n", statuses, growth / 1024);
        assertEquals(200, statuses.get(0), "the first POST is taken");
        // §8.4 and §8.3 on long-polling as on a WebSocket: the pings are commands over the rate, and their answers
        // go unpolled past the bound; whichever comes first ends the session instead of queueing more.
        assertEquals(400, statuses.get(4), "the session ended");
        assertTrue(growth < 24L * 1024 * 1024, "the heap grew by " + growth + " bytes");
        // §10: ending as a slow consumer loses no event silently: the one queued before still goes out (or, had
        // it come after the end began, a force_sync in its place).
        HttpResponse<String> last = polling("GET", "&sid=" + sid, null);
        assertTrue(last.body().contains("42[\"kept\"]") || last.body().contains("42[\"force_sync\"]"), last.body());
    }
}
