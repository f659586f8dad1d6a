package io.herald.client.batch;

import io.herald.client.HeraldEvent;
import io.herald.client.time.VirtualTime;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The pending-changes batcher on virtual time: 500 ms debounce for changes, 5 s windows for upload-like events,
 * never more than 10 s held. Every hand-over is checked at the exact virtual millisecond it happens.
 */
class PendingChangesBatcherTest {
    private final VirtualTime time = new VirtualTime();
    private final List<Handed> handed = new ArrayList<>();
    private long elapsedMillis;

    /** A batch and the virtual time it was handed over at. */
    private record Handed(long atMillis, Batch.Kind kind, List<String> ids) {
    }

    private PendingChangesBatcher batcher() {
        return batcher(b -> { });
    }

    private PendingChangesBatcher batcher(java.util.function.Consumer<PendingChangesBatcher.Builder> customize) {
        PendingChangesBatcher.Builder b = PendingChangesBatcher.builder(batch -> handed.add(new Handed(elapsedMillis,
                        batch.kind(), batch.events().stream().map(HeraldEvent::data).toList())))
                .ticker(time)
                .scheduler(time);
        customize.accept(b);
        return b.build();
    }

    /** Advances virtual time to {@code millis} after the start, one millisecond at a time (so hand-over times are exact). */
    private void at(long millis) {
        while (elapsedMillis < millis) {
            elapsedMillis++;
            time.advance(Duration.ofMillis(1));
        }
    }

    private static HeraldEvent change(String id) {
        return new HeraldEvent("file_deleted", "s1", null, id);
    }

    private static HeraldEvent upload(String id) {
        return new HeraldEvent("file_created", "s1", null, id);
    }

    @Test
    void changesAreHandedOverAfter500msOfQuiet() {
        PendingChangesBatcher b = batcher();
        b.onEvent(change("a"));
        at(300);
        b.onEvent(change("b"));
        at(600);
        b.onEvent(change("c")); // each event restarts the quiet period
        at(1099);
        assertEquals(List.of(), handed, "499 ms after the last change: still waiting");
        at(1100);
        assertEquals(List.of(new Handed(1100, Batch.Kind.CHANGES, List.of("a", "b", "c"))), handed);
        at(5000);
        assertEquals(1, handed.size(), "nothing more to hand over");
        b.onEvent(change("d"));
        at(5500);
        assertEquals(new Handed(5500, Batch.Kind.CHANGES, List.of("d")), handed.get(1));
    }

    @Test
    void aSteadyTrickleOfChangesIsStillHandedOverWithin10s() {
        PendingChangesBatcher b = batcher();
        List<String> expected = new ArrayList<>();
        for (int t = 0; t < 12_000; t += 400) { // never 500 ms of quiet
            at(t);
            if (t < 10_000) {
                expected.add("e" + t);
            }
            b.onEvent(change("e" + t));
        }
        assertEquals(new Handed(10_000, Batch.Kind.CHANGES, expected), handed.get(0),
                "the first batch leaves 10 s after its first event, holding everything before");
        assertEquals(1, handed.size());
    }

    @Test
    void uploadLikeEventsAreBatchedOver5sWindows() {
        PendingChangesBatcher b = batcher();
        b.onEvent(upload("u1"));
        at(3000);
        b.onEvent(upload("u2"));
        b.onEvent(new HeraldEvent("AssetUploadReadyV1", null, null, "u3"));
        at(7999);
        assertEquals(List.of(), handed, "5 s after the last upload-like event, not before");
        at(8000);
        assertEquals(List.of(new Handed(8000, Batch.Kind.UPLOADS, List.of("u1", "u2", "u3"))), handed);
    }

    @Test
    void uploadsAreNeverHeldMoreThan10s() {
        PendingChangesBatcher b = batcher();
        b.onEvent(upload("u0"));
        at(4000);
        b.onEvent(upload("u4"));
        at(8000);
        b.onEvent(upload("u8")); // the window alone would wait until 13 s
        at(9999);
        assertEquals(List.of(), handed);
        at(10_000);
        assertEquals(List.of(new Handed(10_000, Batch.Kind.UPLOADS, List.of("u0", "u4", "u8"))), handed);
        at(12_000);
        b.onEvent(upload("u12"));
        at(17_000);
        assertEquals(new Handed(17_000, Batch.Kind.UPLOADS, List.of("u12")), handed.get(1), "a new batch, a new 10 s budget");
    }

    @Test
    void theLanesRunIndependently() {
        PendingChangesBatcher b = batcher();
        b.onEvent(change("c1"));
        at(100);
        b.onEvent(upload("u1"));
        at(400);
        b.onEvent(change("c2"));
        at(6000);
        assertEquals(List.of(
                new Handed(900, Batch.Kind.CHANGES, List.of("c1", "c2")),
                new Handed(5100, Batch.Kind.UPLOADS, List.of("u1"))), handed);
    }

    @Test
    void thePredicateAndTheWindowsAreConfigurable() {
        PendingChangesBatcher b = batcher(x -> x.uploadLike(e -> e.type().startsWith("upload."))
                .quietPeriod(Duration.ofMillis(100)).uploadWindow(Duration.ofMillis(1000)).maxWait(Duration.ofMillis(1500)));
        b.onEvent(new HeraldEvent("file_created", null, null, "now-a-change"));
        b.onEvent(new HeraldEvent("upload.done", null, null, "up"));
        at(100);
        assertEquals(List.of(new Handed(100, Batch.Kind.CHANGES, List.of("now-a-change"))), handed);
        at(900);
        b.onEvent(new HeraldEvent("upload.done", null, null, "up2"));
        at(1500);
        assertEquals(new Handed(1500, Batch.Kind.UPLOADS, List.of("up", "up2")), handed.get(1), "capped at maxWait 1.5 s");
    }

    @Test
    void flushHandsOverEverythingNowAndCloseStops() {
        PendingChangesBatcher b = batcher();
        b.onEvent(change("c"));
        b.onEvent(upload("u"));
        at(10);
        b.flush();
        assertEquals(List.of(new Handed(10, Batch.Kind.CHANGES, List.of("c")), new Handed(10, Batch.Kind.UPLOADS, List.of("u"))),
                handed);
        at(20_000);
        assertEquals(2, handed.size(), "the flushed batches' timers were cancelled");
        b.onEvent(change("late"));
        b.close();
        assertEquals(new Handed(20_000, Batch.Kind.CHANGES, List.of("late")), handed.get(2), "close hands over the rest");
        b.onEvent(change("after-close"));
        at(40_000);
        assertEquals(3, handed.size());
        assertEquals(0, time.pendingTasks());
    }

    @Test
    void aThrowingBatchListenerDoesNotStopLaterBatches() {
        List<Integer> sizes = new ArrayList<>();
        PendingChangesBatcher b = PendingChangesBatcher.builder(batch -> {
            sizes.add(batch.events().size());
            throw new IllegalStateException("listener bug");
        }).ticker(time).scheduler(time).build();
        b.onEvent(change("1"));
        at(500);
        b.onEvent(change("2"));
        b.onEvent(change("3"));
        at(1000);
        assertEquals(List.of(1, 2), sizes);
    }

    @Test
    void defaultsAreTheMobileAppsWindows() {
        assertEquals(Duration.ofMillis(500), PendingChangesBatcher.DEFAULT_QUIET_PERIOD);
        assertEquals(Duration.ofSeconds(5), PendingChangesBatcher.DEFAULT_UPLOAD_WINDOW);
        assertEquals(Duration.ofSeconds(10), PendingChangesBatcher.DEFAULT_MAX_WAIT);
        for (String t : List.of("file_created", "file_updated", "AssetUploadReadyV1", "on_upload_success")) {
            assertEquals(true, PendingChangesBatcher.DEFAULT_UPLOAD_LIKE.test(new HeraldEvent(t, null, null, null)), t);
        }
        for (String t : List.of("file_deleted", "folder_created", "change", "force_sync")) {
            assertEquals(false, PendingChangesBatcher.DEFAULT_UPLOAD_LIKE.test(new HeraldEvent(t, null, null, null)), t);
        }
        assertThrows(IllegalArgumentException.class, () -> batcher(x -> x.quietPeriod(Duration.ZERO)));
    }

    @Test
    void theRealSchedulerWorksToo() throws Exception {
        java.util.concurrent.CompletableFuture<Batch> got = new java.util.concurrent.CompletableFuture<>();
        try (PendingChangesBatcher b = PendingChangesBatcher.builder(got::complete).quietPeriod(Duration.ofMillis(50)).build()) {
            b.onEvent(change("x"));
            Batch batch = got.get(10, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(List.of(change("x")), batch.events());
        }
    }
}
