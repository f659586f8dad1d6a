package io.herald.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The leak guard itself must be able to fail: a buffer dropped unreleased is reported. */
class LeakDetectionExtensionTest {

    @Test
    void reportsAnUnreleasedBuffer() throws Exception {
        assertTrue(LeakDetectionExtension.drainLeaks().isEmpty(), "clean before");
        leakOne();
        List<String> found = List.of();
        for (int i = 0; i < 20 && found.isEmpty(); i++) {
            found = LeakDetectionExtension.drainLeaks();
        }
        assertFalse(found.isEmpty(), "a leaked buffer must be reported");
    }

    private static void leakOne() {
        ByteBuf leaked = ByteBufAllocator.DEFAULT.buffer(32);
        leaked.writeInt(42); // dropped without release()
    }
}
