package io.herald.testing;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A real {@code redis-server} process on a free loopback port, started by the test (never a mock), so tests can
 * kill it with SIGKILL and start it again on the same port. Needs {@code redis-server} on the PATH
 * ({@code .ci/run} installs it when missing). With {@link #cluster} it is one master of a Redis Cluster.
 */
public final class RedisServer implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(10);

    private final int port;
    private final Path dir;
    private final List<String> extraArgs;
    private Process process;

    private RedisServer(int port, Path dir, List<String> extraArgs) {
        this.port = port;
        this.dir = dir;
        this.extraArgs = extraArgs;
    }

    /** A standalone server on a free port, started. */
    public static RedisServer start() {
        RedisServer r = new RedisServer(freePort(false), tempDir(), List.of());
        r.restart();
        return r;
    }

    /** A cluster-enabled server (not yet part of a cluster); its bus port is {@code port + 10000}. */
    static RedisServer clusterNode(Path dir) {
        int port = freePort(true);
        RedisServer r = new RedisServer(port, dir, List.of("--cluster-enabled", "yes",
                "--cluster-config-file", "nodes-" + port + ".conf", "--cluster-node-timeout", "2000"));
        r.restart();
        return r;
    }

    public int port() {
        return port;
    }

    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    public boolean running() {
        return process != null && process.isAlive();
    }

    /** Starts the server (again) on its port and waits until it answers PING. */
    public void restart() {
        if (running()) {
            throw new IllegalStateException("already running");
        }
        List<String> cmd = new ArrayList<>(List.of("redis-server", "--port", Integer.toString(port),
                "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir.toString(),
                "--logfile", dir.resolve("redis-" + port + ".log").toString()));
        cmd.addAll(extraArgs);
        try {
            process = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            throw new IllegalStateException("redis-server is not installed (apt-get install redis-server)", e);
        }
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("redis-server exited with " + process.exitValue() + "; see " + dir);
            }
            if (pings()) {
                return;
            }
            sleep(20);
        }
        throw new IllegalStateException("redis-server did not answer on port " + port);
    }

    /** SIGKILL: no goodbye on its connections beyond the kernel's own reset. */
    public void kill() {
        if (process != null) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** SIGSTOP: the process stops answering but its sockets stay open, as behind a dead link (half-open). */
    public void freeze() {
        signal("STOP");
    }

    /** SIGCONT after {@link #freeze}. */
    public void thaw() {
        signal("CONT");
    }

    private void signal(String name) {
        try {
            Process k = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
            if (k.waitFor() != 0) {
                throw new IllegalStateException("kill -" + name + " failed");
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Runs {@code work} with a synchronous lettuce connection to this server. */
    public void with(Consumer<RedisCommands<String, String>> work) {
        RedisClient client = RedisClient.create(url());
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            work.accept(c.sync());
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    /** PUBSUB NUMSUB of one channel. */
    public long numsub(String channel) {
        long[] n = new long[1];
        with(r -> n[0] = r.pubsubNumsub(channel).getOrDefault(channel, 0L));
        return n[0];
    }

    /** Every channel with a subscriber (PUBSUB CHANNELS). */
    public List<String> channels() {
        List<List<String>> out = new ArrayList<>();
        with(r -> out.add(r.pubsubChannels()));
        return out.get(0);
    }

    /** How many times Redis ran {@code command} (INFO commandstats), e.g. "subscribe". */
    public long calls(String command) {
        String[] info = new String[1];
        with(r -> info[0] = r.info("commandstats"));
        for (String line : info[0].split("\r?\n")) {
            if (line.startsWith("cmdstat_" + command + ":calls=")) {
                String v = line.substring(("cmdstat_" + command + ":calls=").length());
                return Long.parseLong(v.substring(0, v.indexOf(',')));
            }
        }
        return 0;
    }

    private boolean pings() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            s.setSoTimeout(500);
            OutputStream out = s.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[64];
            int n = in.read(buf);
            return n > 0 && new String(buf, 0, n, StandardCharsets.US_ASCII).startsWith("+PONG");
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() {
        kill();
    }

    static Path tempDir() {
        try {
            Path d = Files.createTempDirectory("herald-redis");
            d.toFile().deleteOnExit();
            return d;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A loopback port that is free now (and, for a cluster node, whose bus port + 10000 is free too). */
    static int freePort(boolean withBus) {
        for (int i = 0; i < 200; i++) {
            int p = ThreadLocalRandom.current().nextInt(20000, 30000);
            if (free(p) && (!withBus || free(p + 10000))) {
                return p;
            }
        }
        throw new IllegalStateException("no free port");
    }

    private static boolean free(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(false);
            s.bind(new InetSocketAddress("127.0.0.1", port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
