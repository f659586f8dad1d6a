package io.herald.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** §11's seam between a replay and live delivery, frame by frame (buffers are checked for release). */
class SeamsTest {
    final Seams seams = new Seams();
    final List<ByteBuf> all = new ArrayList<>();

    ByteBuf frame(long offset) {
        ByteBuf b = Unpooled.copiedBuffer("e" + offset, StandardCharsets.UTF_8);
        all.add(b);
        return b;
    }

    static List<String> texts(List<ByteBuf> frames) {
        List<String> out = new ArrayList<>();
        for (ByteBuf b : frames) {
            out.add(b.toString(StandardCharsets.UTF_8));
            b.release();
        }
        return out;
    }

    @Test
    void heldEventsPastTheSeamGoOutInOrderAndTheRestOnce() {
        seams.hold("share:s");
        for (long o = 3; o <= 6; o++) {
            assertTrue(seams.intercept("share:s", o, "E", frame(o)), "held while the history is read");
        }
        List<ByteBuf> out = new ArrayList<>();
        assertEquals(-1, seams.release("share:s", "E", 4, (o, e, b) -> out.add(b)));
        assertEquals(List.of("e5", "e6"), texts(out), "3 and 4 were in the replay");
        assertFalse(seams.intercept("share:s", 7, "E", frame(7)), "past the seam: live");
        all.get(all.size() - 1).release();
        assertTrue(seams.isEmpty());
        all.forEach(b -> assertEquals(0, b.refCnt(), "every frame released once"));
    }

    @Test
    void aLateLiveEventAtOrBelowTheSeamIsDropped() {
        seams.hold("share:s");
        assertEquals(-1, seams.release("share:s", "E", 5, (o, e, b) -> b.release()));
        assertTrue(seams.intercept("share:s", 5, "E", frame(5)), "already replayed: dropped");
        assertFalse(seams.intercept("share:s", 6, "E", frame(6)));
        all.get(1).release();
        assertEquals(0, all.get(0).refCnt());
    }

    @Test
    void otherTopicsPassThrough() {
        seams.hold("share:s");
        assertFalse(seams.intercept("share:t", 1, "E", frame(1)));
        all.get(0).release();
        seams.clearAll();
    }

    @Test
    void holdingTooMuchLetsGoAndReportsTheLastOffsetLost() {
        seams.hold("share:s");
        for (long o = 1; o <= Seams.MAX_HELD + 10; o++) {
            assertTrue(seams.intercept("share:s", o, "E", frame(o)));
        }
        List<ByteBuf> out = new ArrayList<>();
        assertEquals(Seams.MAX_HELD + 10, seams.release("share:s", "E", 0, (o, e, b) -> out.add(b)), "force_sync from here");
        assertTrue(out.isEmpty());
        assertTrue(seams.intercept("share:s", Seams.MAX_HELD + 10, "E", frame(0)), "what was let go stays gone");
        all.forEach(b -> assertEquals(0, b.refCnt(), "nothing held leaks"));
    }

    @Test
    void clearingLetsGoOfWhatIsHeld() {
        seams.hold("share:s");
        seams.intercept("share:s", 1, "E", frame(1));
        seams.hold("share:t");
        seams.intercept("share:t", 1, "E", frame(1));
        seams.clear("share:s");
        assertEquals(0, all.get(0).refCnt());
        assertTrue(seams.holding("share:t"));
        seams.clearAll();
        assertEquals(0, all.get(1).refCnt());
        assertTrue(seams.isEmpty());
    }

    /** Offsets compare within one epoch only: the topic's history started over, its events are new. */
    @Test
    void anEventOfAnotherEpochPassesAndEndsTheSeam() {
        seams.hold("share:s");
        assertTrue(seams.intercept("share:s", 2, "F", frame(2)), "held, whatever its epoch");
        List<ByteBuf> out = new ArrayList<>();
        assertEquals(-1, seams.release("share:s", "E", 40, (o, e, b) -> out.add(b)));
        assertEquals(List.of("e2"), texts(out), "of epoch F: not covered by E's 40");
        assertTrue(seams.isEmpty());
        seams.hold("share:t");
        seams.release("share:t", "E", 40, (o, e, b) -> b.release());
        assertFalse(seams.intercept("share:t", 3, "F", frame(3)), "a later event of a new epoch is not dropped");
        all.get(all.size() - 1).release();
        assertTrue(seams.isEmpty());
    }

    /** A broker force_sync while a resume reads: the resume answers it, after subscribed. */
    @Test
    void aResyncWhileHoldingLetsGoAndReportsALoss() {
        seams.hold("share:s");
        seams.intercept("share:s", 7, "E", frame(7));
        assertTrue(seams.resyncWhileHolding("share:s"));
        assertFalse(seams.resyncWhileHolding("share:other"));
        assertEquals(0, all.get(0).refCnt());
        assertEquals(7, seams.release("share:s", "E", 3, (o, e, b) -> b.release()));
    }
}
