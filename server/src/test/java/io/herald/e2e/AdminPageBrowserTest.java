package io.herald.e2e;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.herald.config.ConfigKey;
import io.herald.testing.SocketIoNodeClient;
import io.herald.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The admin page in a real browser (issue 15): Debian's {@code chromium} driven by {@code playwright-core} (npm, pinned
 * in {@code src/test/node/package-lock.json}) runs {@code src/test/node/admin-page.js} against this Herald: log in, the
 * connection count moves as browser clients connect, a user found and disconnected (its clients get 4401), a topic
 * tailed while an event is published. Screenshots go to {@code target/admin-page.png} and
 * {@code target/admin-page-phone.png}. {@code .ci/run} installs chromium; without it this test fails, saying so.
 */
class AdminPageBrowserTest {
    @RegisterExtension
    static final TestServer server = TestServer.perClass(b -> b.set(ConfigKey.HISTORY_SIZE, "100"));

    private static final Path NODE_DIR = Path.of("src/test/node").toAbsolutePath();
    private static final Path CHROMIUM = Path.of(System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium"));

    @Test
    void anOperatorLogsInWatchesFindsDisconnectsAndTails() throws Exception {
        assertTrue(Files.isExecutable(CHROMIUM),
                CHROMIUM + " is missing: install Debian's chromium (apt-get install chromium; .ci/run does)");
        SocketIoNodeClient.installOnce(); // npm ci in src/test/node when playwright-core is not there yet
        Path shots = Path.of("target").toAbsolutePath();
        Files.createDirectories(shots);
        Files.deleteIfExists(shots.resolve("admin-page.png"));
        Files.deleteIfExists(shots.resolve("admin-page-phone.png"));
        ObjectNode opts = com.fasterxml.jackson.databind.json.JsonMapper.builder().build().createObjectNode()
                .put("base", server.http(""))
                .put("adminToken", server.adminToken())
                .put("userToken", server.token("carol", List.of("s1"), List.of(), List.of()))
                .put("publisherToken", server.publisherToken())
                .put("user", "carol")
                .put("topic", "share:tailme")
                .put("screenshots", shots.toString());
        Process p = new ProcessBuilder("node", NODE_DIR.resolve("admin-page.js").toString(), opts.toString())
                .directory(NODE_DIR.toFile())
                .redirectErrorStream(true)
                .start();
        boolean ended = p.waitFor(180, TimeUnit.SECONDS);
        String out = read(p);
        if (!ended) {
            p.destroyForcibly();
        }
        System.out.println(out);
        assertTrue(ended, "the browser run ended within 180 s:\n" + out);
        assertEquals(0, p.exitValue(), "the browser run failed:\n" + out);
        for (String step : List.of("logged-in", "connections-changed", "disconnected", "tailed", "screenshots", "done")) {
            assertTrue(out.contains("{\"on\":\"" + step + "\""), "step " + step + " missing:\n" + out);
        }
        assertTrue(out.contains("\"code\":4401"), out);
        assertTrue(Files.size(shots.resolve("admin-page.png")) > 10_000, "a screenshot of the page");
        assertTrue(Files.size(shots.resolve("admin-page-phone.png")) > 10_000, "and one at a phone's width");
    }

    private static String read(Process p) throws IOException {
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
}
