package io.herald.e2e;

import io.herald.testing.TestServer;
import io.herald.testing.WsTestClient;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** §8.6: SIGTERM to a real Herald process closes every connection 1001 and the process exits cleanly. */
class ShutdownE2ETest {

    @Test
    void sigtermClosesEveryConnectionGoingAwayAndExits() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path err = Files.createTempFile("herald-shutdown", ".err");
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(javaBin, "-Dio.netty.leakDetection.level=paranoid",
                "-cp", System.getProperty("java.class.path"), "io.herald.Herald",
                "--bind=127.0.0.1", "--port=" + port, "--jwt-secret=" + TestServer.SECRET, "--drain=1s")
                .redirectErrorStream(false)
                .redirectError(err.toFile())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().keySet().removeIf(k -> k.startsWith("HERALD_"));
        Process herald = pb.start();
        List<WsTestClient> clients = new ArrayList<>();
        try {
            awaitLine(err, "listening on", herald);
            String token = new io.herald.auth.TokenIssuer(TestServer.SECRET)
                    .issue("alice", List.of("s1"), List.of(), List.of(), List.of(), Duration.ofHours(1));
            for (int i = 0; i < 5; i++) {
                WsTestClient c = WsTestClient.connect("ws://127.0.0.1:" + port + "/api/v1/realtime/ws?token=" + token);
                assertEquals("connected", c.nextJson().get("type").asText());
                clients.add(c);
            }
            long start = System.nanoTime();
            herald.destroy(); // SIGTERM
            for (WsTestClient c : clients) {
                assertEquals(new WsTestClient.Closed(1001, "going away"), c.awaitClose());
            }
            assertTrue(herald.waitFor(20, TimeUnit.SECONDS), "the process exits");
            long tookMillis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(tookMillis < 15_000, "drain of 1s took " + tookMillis + " ms");
            String log = Files.readString(err, StandardCharsets.UTF_8);
            assertFalse(log.contains("Exception"), log);
            assertFalse(log.contains("\tat "), "no stack trace:\n" + log);
            assertFalse(log.contains("LEAK"), log);
            assertTrue(log.contains("draining 5 connections"), log);
        } finally {
            clients.forEach(WsTestClient::close);
            herald.destroyForcibly();
            Files.deleteIfExists(err);
        }
    }

    private static void awaitLine(Path file, String needle, Process p) throws IOException, InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < until) {
            if (Files.readString(file, StandardCharsets.UTF_8).contains(needle)) {
                return;
            }
            if (!p.isAlive()) {
                throw new AssertionError("Herald exited: " + Files.readString(file, StandardCharsets.UTF_8));
            }
            Thread.sleep(100);
        }
        throw new AssertionError("Herald did not start: " + Files.readString(file, StandardCharsets.UTF_8));
    }
}
