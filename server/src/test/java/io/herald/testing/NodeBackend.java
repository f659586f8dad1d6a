package io.herald.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A backend process for the §12 tests: {@code src/test/node/backend.js} (its header says what it answers). It serves
 * Herald's auth proxy at {@link #authUrl()}, counts the calls, can be made slow, and, given a Redis port, runs an
 * unchanged Socket.IO server that emits through the official {@code @socket.io/redis-adapter} (and
 * {@code @socket.io/redis-emitter}) on the test's command.
 */
public final class NodeBackend implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path DIR = Path.of("src/test/node").toAbsolutePath();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final Process process;
    private final int port;

    private NodeBackend(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /** The auth proxy only. */
    public static NodeBackend start() {
        return start(JSON.createObjectNode());
    }

    /** With a Socket.IO app emitting through Redis at {@code redisPort}, under the adapter key {@code key}. */
    public static NodeBackend withSocketIoApp(int redisPort, String key) {
        return start(JSON.createObjectNode().put("redisPort", redisPort).put("adapterKey", key));
    }

    /**
     * With a Socket.IO app on the sharded adapter ({@code createShardedAdapter}, {@code SPUBLISH}) of the Redis
     * Cluster whose nodes listen on {@code ports}.
     */
    public static NodeBackend withShardedSocketIoApp(java.util.List<Integer> ports, String key) {
        ObjectNode o = JSON.createObjectNode().put("adapterKey", key);
        ports.forEach(o.putArray("redisCluster")::add);
        return start(o);
    }

    /** On a fixed port (0: any), e.g. to come back where a killed one was. */
    public static NodeBackend start(ObjectNode options) {
        SocketIoNodeClient.installOnce();
        Process p;
        try {
            p = new ProcessBuilder("node", DIR.resolve("backend.js").toString(), options.toString())
                    .directory(DIR.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        } catch (IOException e) {
            throw new IllegalStateException("node is not installed", e);
        }
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        try {
            String line = r.readLine(); // blocks until the backend listens (or dies)
            if (line == null) {
                throw new IllegalStateException("backend.js exited before listening");
            }
            JsonNode j = JSON.readTree(line);
            return new NodeBackend(p, j.get("port").asInt());
        } catch (IOException e) {
            p.destroyForcibly();
            throw new IllegalStateException(e);
        }
    }

    public int port() {
        return port;
    }

    /** What {@code HERALD_AUTH_PROXY} is set to. */
    public String authUrl() {
        return "http://127.0.0.1:" + port + "/auth";
    }

    /** Auth proxy calls since the start or the last {@link #reset()}. */
    public int calls() {
        return call("GET", "/__calls", null).get("calls").asInt();
    }

    /** The body of the last auth proxy call. */
    public JsonNode lastCall() {
        return call("GET", "/__calls", null).get("last");
    }

    /** Every auth answer waits this long from now on. */
    public void delay(Duration d) {
        call("POST", "/__delay", "{\"ms\":" + d.toMillis() + "}");
    }

    public void reset() {
        call("POST", "/__reset", "{}");
    }

    /** Makes the Socket.IO app emit: {@code {"op":"emit|to|toMany|except", "room", "rooms", "event", "args"}}. */
    public void emit(String json) {
        JsonNode answer = call("POST", "/emit", json);
        if (!answer.path("emitted").asBoolean()) {
            throw new IllegalStateException("the app did not emit: " + answer);
        }
    }

    /**
     * The app's {@code io.fetchSockets()}: {@code {"sockets": n, "ms": t}}, or {@code {"error": …}} when its adapter
     * waited in vain for another server's answer.
     */
    public JsonNode fetchSockets() {
        return call("POST", "/fetch", "{}");
    }

    private JsonNode call(String method, String path, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10));
        b = body == null ? b.GET() : b.method(method, HttpRequest.BodyPublishers.ofString(body));
        try {
            return JSON.readTree(HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString()).body());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Kills the process: the backend is down. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
