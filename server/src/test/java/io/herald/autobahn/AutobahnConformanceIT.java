package io.herald.autobahn;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reads the Autobahn|Testsuite report written by the fuzzing run just before it (same Maven phase) and holds
 * it to a stricter standard than the plugin: every case of groups 1–7, 9 and 10 ran, and each one's
 * behaviour is OK, NON-STRICT or INFORMATIONAL <em>and</em> its closing behaviour is OK or INFORMATIONAL
 * (the plugin ignores the latter, so a server that sends a second close frame would pass it).
 */
class AutobahnConformanceIT {
    /** Cases in groups 1–7, 9 and 10 of Autobahn|Testsuite 0.7 as the plugin runs them. */
    static final int EXPECTED_CASES = 301;
    private static final Pattern CASE = Pattern.compile(
            "\"(\\d+(?:\\.\\d+)+)\":\\s*\\{\\s*\"behavior\":\\s*\"([A-Z -]+)\",\\s*\"behaviorClose\":\\s*\"([A-Z -]+)\"");
    private static final Set<String> OK_BEHAVIOR = Set.of("OK", "NON-STRICT", "INFORMATIONAL");
    private static final Set<String> OK_CLOSE = Set.of("OK", "INFORMATIONAL");

    @Test
    void everyCaseConformsAndClosesCleanly() throws Exception {
        Path index = Path.of(System.getProperty("autobahn.reports", "target/autobahntestsuite-reports"), "index.json");
        assertTrue(Files.exists(index), "no Autobahn report at " + index + " (did the fuzzing run happen?)");
        Matcher m = CASE.matcher(Files.readString(index));
        int cases = 0;
        List<String> bad = new ArrayList<>();
        TreeMap<String, Integer> perGroup = new TreeMap<>();
        while (m.find()) {
            cases++;
            perGroup.merge(m.group(1).substring(0, m.group(1).indexOf('.')), 1, Integer::sum);
            if (!OK_BEHAVIOR.contains(m.group(2)) || !OK_CLOSE.contains(m.group(3))) {
                bad.add(m.group(1) + " behavior=" + m.group(2) + " behaviorClose=" + m.group(3));
            }
        }
        System.out.println("Autobahn cases per group: " + perGroup);
        assertEquals(List.of(), bad, "cases that do not conform");
        assertEquals(EXPECTED_CASES, cases, "cases run: " + perGroup);
    }
}
