package io.herald.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The official {@code socket.io-client} (npm, pinned in {@code src/test/node/package-lock.json}) in a node process,
 * driven by {@code src/test/node/sio-client.js}: what the client sees arrives as JSON lines. The first use runs
 * {@code npm ci} there when {@code node_modules} is missing, so {@code mvn verify} needs only node and npm.
 */
public final class SocketIoNodeClient implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path DIR = Path.of("src/test/node").toAbsolutePath();
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final Process process;
    private final BlockingQueue<JsonNode> lines = new LinkedBlockingQueue<>();
    private final List<JsonNode> seen = new ArrayList<>();

    private SocketIoNodeClient(Process process) {
        this.process = process;
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    try {
                        lines.add(JSON.readTree(line));
                    } catch (IOException e) {
                        lines.add(JSON.createObjectNode().put("on", "stdout").put("text", line));
                    }
                }
            } catch (IOException ignored) {
                // the process ended
            }
        }, "sio-client-reader");
        reader.setDaemon(true);
        reader.start();
    }

    /** Options as {@code sio-client.js} reads them: url, path, transports, auth, extraHeaders, query, reconnection. */
    public static ObjectNode options(String url) {
        return JSON.createObjectNode().put("url", url);
    }

    public static SocketIoNodeClient start(ObjectNode options) {
        installOnce();
        try {
            Process p = new ProcessBuilder("node", DIR.resolve("sio-client.js").toString(), options.toString())
                    .directory(DIR.toFile())
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
            return new SocketIoNodeClient(p);
        } catch (IOException e) {
            throw new IllegalStateException("node is not installed", e);
        }
    }

    /** Runs {@code npm ci} in {@code src/test/node} unless every package the tests use is there. */
    public static synchronized void installOnce() {
        if (Files.isDirectory(DIR.resolve("node_modules/socket.io-client"))
                && Files.isDirectory(DIR.resolve("node_modules/@socket.io/redis-adapter"))
                && Files.isDirectory(DIR.resolve("node_modules/@socket.io/redis-emitter"))
                && Files.isDirectory(DIR.resolve("node_modules/playwright-core"))) {
            return;
        }
        try {
            Process npm = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund").directory(DIR.toFile())
                    .inheritIO().start();
            if (!npm.waitFor(300, TimeUnit.SECONDS) || npm.exitValue() != 0) {
                npm.destroyForcibly();
                throw new IllegalStateException("npm ci failed in " + DIR);
            }
        } catch (IOException e) {
            throw new IllegalStateException("npm is not installed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The next line whose {@code on} is {@code what} (others are kept in {@link #seen}); fails after 10 s. */
    public JsonNode next(String what) {
        return next(j -> what.equals(j.path("on").asText()), what);
    }

    /** Whether a line {@code on} = {@code what} came already (read by an earlier call) or comes within 10 s. */
    public boolean saw(String what) {
        if (seen.stream().anyMatch(j -> what.equals(j.path("on").asText()))) {
            return true;
        }
        next(what);
        return true;
    }

    /** The next {@code event} line named {@code name}. */
    public JsonNode nextEvent(String name) {
        return next(j -> "event".equals(j.path("on").asText()) && name.equals(j.path("name").asText()), "event " + name);
    }

    public JsonNode next(Predicate<JsonNode> match, String what) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        try {
            while (true) {
                long left = deadline - System.nanoTime();
                JsonNode j = left > 0 ? lines.poll(left, TimeUnit.NANOSECONDS) : null;
                if (j == null) {
                    throw new AssertionError("no " + what + " within " + WAIT + "; saw " + seen);
                }
                seen.add(j);
                if (match.test(j)) {
                    return j;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Every line that arrives within {@code d}, for asserting what did not happen. */
    public List<JsonNode> during(Duration d) throws InterruptedException {
        List<JsonNode> out = new ArrayList<>();
        long deadline = System.nanoTime() + d.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            JsonNode j = left > 0 ? lines.poll(left, TimeUnit.NANOSECONDS) : null;
            if (j == null) {
                return out;
            }
            seen.add(j);
            out.add(j);
        }
    }

    /** Makes the client emit {@code name} with {@code argsJsonArray} (a JSON array of arguments). */
    public void emit(String name, String argsJsonArray) {
        command("emit " + name + " " + argsJsonArray);
    }

    /** {@code socket.io.engine.close()}: the connection drops as on a lost network, and the client reconnects. */
    public void closeEngine() {
        command("close-engine");
    }

    private void command(String line) {
        try {
            OutputStream in = process.getOutputStream();
            in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            in.flush();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        try {
            process.getOutputStream().close();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (IOException | InterruptedException e) {
            process.destroyForcibly();
        }
    }
}
