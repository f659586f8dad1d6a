package io.herald.bench;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * §12 figures against a running Herald (see {@code scripts/bench-backends.sh}, which starts everything):
 * <ol>
 *   <li>connects per second through the auth proxy, cold (every credential new: one backend call each) and warm (the
 *   same credentials again: cache hits);</li>
 *   <li>Herald's CPU per delivery for a Socket.IO app's {@code io.emit} through {@code @socket.io/redis-adapter}
 *   versus the same events published through Herald's HTTP API, to the same Socket.IO clients.</li>
 * </ol>
 * Usage: {@code java -cp herald-bench.jar io.herald.bench.BackendsBench HERALD_PORT BACKEND_PORT HERALD_PID
 * PUBLISHER_TOKEN [connections] [sockets] [events]}.
 */
public final class BackendsBench {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public static void main(String[] args) throws Exception {
        int herald = Integer.parseInt(args[0]);
        int backend = Integer.parseInt(args[1]);
        long pid = Long.parseLong(args[2]);
        String publisher = args[3];
        int connections = args.length > 4 ? Integer.parseInt(args[4]) : 2000;
        int sockets = args.length > 5 ? Integer.parseInt(args[5]) : 500;
        int events = args.length > 6 ? Integer.parseInt(args[6]) : 1000;

        String run = Long.toString(System.nanoTime() % 100000);
        connectStorm(herald, backend, connections, run, "warm-up");
        double cold = connectStorm(herald, backend, connections, run + "c", "cold");
        double warm = connectStorm(herald, backend, connections, run + "c", "warm");
        System.out.printf("proxy connects/s: cold %.0f, warm %.0f (%d connections, at most 200 in flight)%n",
                cold, warm, connections);

        List<WebSocket> sio = new ArrayList<>();
        AtomicLong received = new AtomicLong();
        CountDownLatch connected = new CountDownLatch(sockets);
        for (int i = 0; i < sockets; i++) {
            sio.add(socketIo(herald, "ok:sio-" + run + "-" + i + ":sess-" + i, received, connected).join());
        }
        if (!connected.await(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("Socket.IO clients did not all connect");
        }
        Thread.sleep(500);
        for (int warmup = 0; warmup < 2; warmup++) {
            measure("adapter (warm-up)", pid, sockets, events / 4, received, () -> emitThroughAdapter(backend, events / 4));
            measure("http (warm-up)", pid, sockets, events / 4, received, () -> publishOverHttp(herald, publisher, events / 4));
        }
        double adapter = measure("adapter", pid, sockets, events, received, () -> emitThroughAdapter(backend, events));
        double http = measure("http publish", pid, sockets, events, received, () -> publishOverHttp(herald, publisher, events));
        System.out.printf("herald CPU per 1000 deliveries: adapter ingress %.1f ms, HTTP publish %.1f ms (%d sockets x %d events)%n",
                adapter, http, sockets, events);
        for (WebSocket w : sio) {
            w.abort();
        }
    }

    /** Opens {@code n} realtime connections with opaque credentials, 200 at a time; connects per second. */
    static double connectStorm(int herald, int backend, int n, String run, String label) throws Exception {
        int callsBefore = calls(backend);
        Semaphore inFlight = new Semaphore(200);
        List<WebSocket> open = java.util.Collections.synchronizedList(new ArrayList<>());
        CountDownLatch done = new CountDownLatch(n);
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            inFlight.acquire();
            String token = URLEncoder.encode("ok:bench-" + run + "-" + i + ":s-" + i, StandardCharsets.UTF_8);
            HTTP.newWebSocketBuilder().buildAsync(URI.create("ws://127.0.0.1:" + herald + "/api/v1/realtime/ws?token=" + token),
                    new WebSocket.Listener() {
                        boolean counted;

                        @Override
                        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                            if (!counted && data.toString().contains("\"connected\"")) {
                                counted = true;
                                inFlight.release();
                                done.countDown();
                            }
                            ws.request(1);
                            return null;
                        }
                    }).thenAccept(open::add).exceptionally(t -> {
                        inFlight.release();
                        done.countDown();
                        return null;
                    });
        }
        if (!done.await(120, TimeUnit.SECONDS)) {
            throw new IllegalStateException(label + ": not all connected");
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        int made = calls(backend) - callsBefore;
        System.out.printf("%s: %d connections in %.2f s, %d backend calls%n", label, n, seconds, made);
        synchronized (open) {
            open.forEach(WebSocket::abort);
        }
        Thread.sleep(500);
        return n / seconds;
    }

    /** An Engine.IO v4 / Socket.IO v5 client over a bare WebSocket, logged in with Immich's header. */
    static CompletableFuture<WebSocket> socketIo(int herald, String credential, AtomicLong received, CountDownLatch connected) {
        return HTTP.newWebSocketBuilder().header("x-immich-user-token", credential)
                .buildAsync(URI.create("ws://127.0.0.1:" + herald + "/socket.io/?EIO=4&transport=websocket"),
                        new WebSocket.Listener() {
                            /** The JDK hands a long message over in parts: put it together first. */
                            final StringBuilder partial = new StringBuilder();

                            @Override
                            public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                                if (!last) {
                                    partial.append(data);
                                    ws.request(1);
                                    return null;
                                }
                                String s = partial.length() == 0 ? data.toString() : partial.append(data).toString();
                                partial.setLength(0);
                                if (s.startsWith("0{")) {
                                    ws.sendText("40", true);
                                } else if (s.startsWith("40")) {
                                    connected.countDown();
                                } else if (s.equals("2")) {
                                    ws.sendText("3", true);
                                } else if (s.startsWith("42[\"bench")) {
                                    received.incrementAndGet();
                                    int at = s.indexOf("\"n\":");
                                    if (at > 0) {
                                        int end = at + 4;
                                        while (end < s.length() && Character.isDigit(s.charAt(end))) {
                                            end++;
                                        }
                                        SEEN.computeIfAbsent(Integer.parseInt(s.substring(at + 4, end)),
                                                k -> new AtomicLong()).incrementAndGet();
                                    }
                                }
                                ws.request(1);
                                return null;
                            }
                        });
    }

    /** How often each event number arrived, over every client: what went missing, if anything. */
    static final java.util.concurrent.ConcurrentHashMap<Integer, AtomicLong> SEEN = new java.util.concurrent.ConcurrentHashMap<>();

    interface Work {
        void run() throws Exception;
    }

    /** Herald's CPU (ms) per 1000 deliveries while {@code work} sends {@code events} to {@code sockets} clients. */
    static double measure(String label, long pid, int sockets, int events, AtomicLong received, Work work) throws Exception {
        SEEN.clear();
        long expected = received.get() + (long) sockets * events;
        long cpu0 = cpuMillis(pid);
        long t0 = System.nanoTime();
        work.run();
        long last = -1;
        long stalledSince = System.nanoTime();
        while (received.get() < expected) {
            long now = received.get();
            if (now != last) {
                last = now;
                stalledSince = System.nanoTime();
            } else if (System.nanoTime() - stalledSince > TimeUnit.SECONDS.toNanos(3)) {
                break; // nothing more is coming (a client closed as a slow consumer, say): report what arrived
            }
            Thread.sleep(5);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        long cpu = cpuMillis(pid) - cpu0;
        long got = received.get() - (expected - (long) sockets * events);
        double per1000 = cpu * 1000.0 / Math.max(1, got);
        System.out.printf("%s: %d deliveries of %d in %.2f s, herald CPU %d ms, %.1f ms per 1000%n",
                label, got, (long) sockets * events, seconds, cpu, per1000);
        for (int n = 0; n < events; n++) {
            AtomicLong c = SEEN.get(n);
            if (c == null || c.get() != sockets) {
                System.out.printf("  event %d reached %d of %d sockets%n", n, c == null ? 0 : c.get(), sockets);
            }
        }
        return per1000;
    }

    static void emitThroughAdapter(int backend, int events) throws Exception {
        List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
        for (int i = 0; i < events; i++) {
            sent.add(HTTP.sendAsync(post("http://127.0.0.1:" + backend + "/emit", null,
                    "{\"op\":\"emit\",\"event\":\"bench\",\"args\":[{\"n\":" + i + ",\"pad\":\"0123456789abcdef\"}]}"),
                    HttpResponse.BodyHandlers.ofString()));
            if (sent.size() >= 64) {
                sent.remove(0).join();
            }
        }
        sent.forEach(CompletableFuture::join);
    }

    static void publishOverHttp(int herald, String publisher, int events) {
        for (int from = 0; from < events; from += 100) {
            StringBuilder b = new StringBuilder("{\"events\":[");
            for (int i = from; i < Math.min(events, from + 100); i++) {
                b.append(i == from ? "" : ",").append("{\"topic\":\"broadcast\",\"event_type\":\"bench\",\"data\":{\"n\":")
                        .append(i).append(",\"pad\":\"0123456789abcdef\"}}");
            }
            HTTP.sendAsync(post("http://127.0.0.1:" + herald + "/api/v1/publish", publisher, b.append("]}").toString()),
                    HttpResponse.BodyHandlers.ofString()).join();
        }
    }

    static HttpRequest post(String url, String token, String body) {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            r.header("Authorization", "Bearer " + token);
        }
        return r.build();
    }

    static int calls(int backend) throws Exception {
        String body = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + backend + "/__calls")).GET().build(),
                HttpResponse.BodyHandlers.ofString()).body();
        int i = body.indexOf("\"calls\":");
        int j = i + 8;
        while (j < body.length() && Character.isDigit(body.charAt(j))) {
            j++;
        }
        return Integer.parseInt(body.substring(i + 8, j));
    }

    /** utime + stime of {@code pid}, from /proc (Linux), in milliseconds. */
    static long cpuMillis(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
        return ticks * 10; // USER_HZ is 100 on Linux
    }
}
