package io.herald.loadtest.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads a local process's resident set size from {@code /proc/<pid>/status} (Linux). */
public final class ServerMemory {
    private ServerMemory() {
    }

    /** {@code VmRSS} of {@code pid} in KiB, or -1 when it cannot be read. */
    public static long rssKib(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.substring(6).replace("kB", "").trim());
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
