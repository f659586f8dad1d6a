package io.herald.loadtest.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * (A copy of the server module's extension of the same name, so this module's tests hunt leaks too.)
 *
 * <p>Fails a test class when Netty reports a leaked {@code ByteBuf} during it. Registered for every test through
 * JUnit's extension auto-detection ({@code META-INF/services}); the build sets
 * {@code -Dio.netty.leakDetection.level=paranoid} so every buffer is tracked.
 *
 * <p>It installs a leak detector factory whose detectors remember each report, before any buffer class loads.
 * After each class it forces GC and allocates a little, so leaked buffers get reported, then fails on any.
 */
public final class LeakDetectionExtension implements AfterAllCallback {
    private static final List<String> LEAKS = new CopyOnWriteArrayList<>();

    static {
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new RecordingFactory());
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        List<String> found = drainLeaks();
        if (!found.isEmpty()) {
            throw new AssertionError(found.size() + " ByteBuf leak(s) reported during "
                    + context.getDisplayName() + ":\n" + String.join("\n---\n", found));
        }
    }

    /** Makes Netty report unreachable unreleased buffers, and returns (and forgets) every report so far. */
    public static List<String> drainLeaks() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            System.runFinalization();
            Thread.sleep(50);
            // Leaks are reported when a new buffer is tracked, so allocate from both kinds of allocator.
            for (int j = 0; j < 64; j++) {
                ByteBuf a = PooledByteBufAllocator.DEFAULT.buffer(16);
                a.release();
                ByteBuf b = UnpooledByteBufAllocator.DEFAULT.buffer(16);
                b.release();
                ByteBuf c = io.netty.buffer.ByteBufAllocator.DEFAULT.buffer(16);
                c.release();
            }
        }
        List<String> found = new ArrayList<>(LEAKS);
        LEAKS.removeAll(found);
        return found;
    }

    private static final class RecordingFactory extends ResourceLeakDetectorFactory {
        @Override
        @SuppressWarnings("deprecation")
        public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval, long maxActive) {
            return new ResourceLeakDetector<T>(resource, samplingInterval, maxActive) {
                @Override
                protected void reportTracedLeak(String resourceType, String records) {
                    LEAKS.add(resourceType + " leak" + records);
                    super.reportTracedLeak(resourceType, records);
                }

                @Override
                protected void reportUntracedLeak(String resourceType) {
                    LEAKS.add(resourceType + " leak (untraced)");
                    super.reportUntracedLeak(resourceType);
                }
            };
        }

        @Override
        public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval) {
            return newResourceLeakDetector(resource, samplingInterval, Long.MAX_VALUE);
        }
    }
}
