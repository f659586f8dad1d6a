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

    static final String PID = "ABCDEFGHabcdefgh0123~Ab-_9.3~6b0f12.0";

    @Test
    void theOffsetAdvancesPerTopicAndParsesBack() {
        SioRecovery r = new SioRecovery(PID, new String[] {"user:u", "broadcast"}, AT);
        assertEquals("Ab-_9.3~6b0f12.0", r.vector());
        assertEquals("ABCDEFGH~Ab-_9.3~6b0f12.7", r.advance("broadcast", null, 7), "the pid's tag, then the vector");
        assertEquals("ABCDEFGH~Ab-_9.4~6b0f12.7", r.advance("user:u", "Ab-_9", 4));
        assertEquals("ABCDEFGH~Zz.1~6b0f12.7", r.advance("user:u", "Zz", 1), "a new epoch of the topic");
        assertNull(r.advance("share:s", null, 1), "not a topic of the session");
        History.Position[] back = SioRecovery.parse("Ab-_9.4~6b0f12.7", 2);
        assertArrayEquals(new History.Position[] {new History.Position("Ab-_9", 4), new History.Position("6b0f12", 7)}, back);
    }

    @Test
    void aPidStandsInForAnOffsetWhenTheClientSawNoEvent() {
        String pid = SioRecovery.newPid(AT);
        assertTrue(pid.matches("[A-Za-z0-9_-]{20}~Ab-_9\\.3~6b0f12\\.0"), pid);
        assertArrayEquals(AT, SioRecovery.resumeFrom(pid, null, 2));
        assertArrayEquals(new History.Position[] {new History.Position("x", 1), new History.Position("y", 2)},
                SioRecovery.resumeFrom(pid, pid.substring(0, 8) + "~x.1~y.2", 2), "the offset of this pid, when there is one");
        assertArrayEquals(AT, SioRecovery.resumeFrom(pid, "ZZZZZZZZ~x.1~y.2", 2),
                "an offset of an older pid (kept by the client across a failed recovery) is not taken");
    }

    @Test
    void onlyAPidHeraldGaveIsTakenAndEchoed() {
        assertNull(SioRecovery.resumeFrom("p~x.1~y.2", null, 2), "too short a random part");
        assertNull(SioRecovery.resumeFrom("ABCDEFGHabcdefgh012\"~x.1~y.2", null, 2), "a quote");
        assertNull(SioRecovery.resumeFrom("ABCDEFGHabcdefgh0123~" + "x".repeat(120) + ".1~y.2", null, 2), "too long");
        assertNull(SioRecovery.resumeFrom("ABCDEFGHabcdefgh0123~x.1", null, 2), "not the session's topics");
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
