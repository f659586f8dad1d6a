package io.herald.protocol.socketio;

import io.herald.broker.history.History;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** §11 Socket.IO recovery strings: the offset vector and the pid, and what is not one. */
class SioRecoveryTest {
    static final History.Position[] AT = {new History.Position("Ab-_9", 3), new History.Position("6b0f12", 0)};

    @Test
    void theOffsetAdvancesPerTopicAndParsesBack() {
        SioRecovery r = new SioRecovery("pid", new String[] {"user:u", "broadcast"}, AT);
        assertEquals("Ab-_9.3~6b0f12.0", r.vector());
        assertEquals("Ab-_9.3~6b0f12.7", r.advance("broadcast", 7));
        assertEquals("Ab-_9.4~6b0f12.7", r.advance("user:u", 4));
        assertNull(r.advance("share:s", 1), "not a topic of the session");
        History.Position[] back = SioRecovery.parse("Ab-_9.4~6b0f12.7", 2);
        assertArrayEquals(new History.Position[] {new History.Position("Ab-_9", 4), new History.Position("6b0f12", 7)}, back);
    }

    @Test
    void aPidStandsInForAnOffsetWhenTheClientSawNoEvent() {
        String pid = SioRecovery.newPid(AT);
        assertTrue(pid.matches("[A-Za-z0-9_-]{20}~Ab-_9\\.3~6b0f12\\.0"), pid);
        assertArrayEquals(AT, SioRecovery.resumeFrom(pid, null, 2));
        assertArrayEquals(new History.Position[] {new History.Position("x", 1), new History.Position("y", 2)},
                SioRecovery.resumeFrom(pid, "x.1~y.2", 2), "the offset, when there is one");
    }

    @Test
    void anythingElseIsNotAPosition() {
        for (String bad : List.of("", "x.1", "x.1~y.2~z.3", "x.~y.2", ".1~y.2", "x.1a~y.2", "x\".1~y.2", "x.-1~y.2",
                "x.99999999999999999999~y.1", "x".repeat(65) + ".1~y.2", "x 1~y.2")) {
            assertNull(SioRecovery.parse(bad, 2), bad);
        }
        assertNull(SioRecovery.resumeFrom("no-vector", null, 2));
        assertNull(SioRecovery.resumeFrom(null, null, 2));
    }
}
